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

const count = z.number().int();

export const insightsObject = z
  .object({
    postId: z.string(),
    views: count.describe("times shown to others, once per viewer a day"),
    plays: count.describe("times its video was played, once per viewer a day"),
    uniqueViewers: count.describe("distinct people who saw it (estimated within about 2%)"),
    likes: count,
    comments: count,
    saves: count.describe("times saved"),
    shares: count.describe("times sent in direct messages"),
    reach: z.object({ followers: count, nonFollowers: count }).describe("views by followers and by others"),
    hours: z
      .array(
        z.object({
          at: z.string().describe("the hour's start, ISO-8601 UTC"),
          views: count,
          plays: count,
          likes: count,
          comments: count,
          saves: count,
          shares: count,
        }),
      )
      .describe("the first 48 hours from the hour it was posted in"),
  })
  .meta({ id: "PostInsights" });

export type PostInsights = z.output<typeof insightsObject>;
