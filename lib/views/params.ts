import { z } from "zod";
import { id } from "../validation/id";

/** The most posts one report names: a screenful or two of a feed the client saw since its last report. */
export const MAX_VIEWS_PER_REPORT = 100;

/**
 * `POST /api/posts/views`: posts shown to the caller (`view`) or videos they played (`play`), reported by the
 * client in batches. Each counts once per viewer, post and UTC day.
 */
export const recordViewsParams = z.strictObject({
  ids: z
    .array(id)
    .min(1, "name 1 to 100 posts")
    .max(MAX_VIEWS_PER_REPORT, `name 1 to ${MAX_VIEWS_PER_REPORT} posts`),
  kind: z.enum(["view", "play"]).default("view"),
});

export const recordedViewsObject = z.object({
  /** Views counted from this report: not the caller's own posts, nor one already counted today, nor unknown ids. */
  counted: z.number().int(),
});

export type ViewKind = z.output<typeof recordViewsParams>["kind"];
