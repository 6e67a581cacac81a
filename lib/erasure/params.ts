import { z } from "zod";
import { id } from "../validation/id";

/**
 * One call of an erasure step: the account, and where the step got to (absent at its start). Each module that
 * holds an account's data answers one such call with a bounded amount of work.
 */
export const erasureStepParams = z.strictObject({
  userId: id,
  cursor: z.string().max(2_000).optional(),
});

export const erasureStepResult = z.object({
  done: z.boolean().describe("true once the step has nothing left of this account"),
  cursor: z.string().max(2_000).optional().describe("where the next call goes on from"),
});

export type ErasureStepParams = z.infer<typeof erasureStepParams>;
export type ErasureProgress = z.infer<typeof erasureStepResult>;

/** Every step, in the order an erasure runs them: each may still need what a later one removes. */
export const ERASURE_STEPS = [
  // Followers' timelines are found through the followers and the posts, so before either goes.
  "timeline",
  // Each post takes with it what others left on it (likes, comments, saves), found through the post.
  "posts",
  "stories",
  // What the account left on others' posts.
  "interactions",
  "graph",
  "inbox",
  "moderation",
  // Archives, on the media nodes, before the media they copied.
  "export",
  // Files last but one: a post's deletion above stops them first.
  "media",
  // The account itself last: until then its row says it is being erased.
  "users",
] as const;

export type ErasureStep = (typeof ERASURE_STEPS)[number];
