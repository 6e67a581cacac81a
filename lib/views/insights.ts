import { ForbiddenError } from "../errors";
import type { PostView } from "../contracts/objects";
import type { WideRowStore } from "../store/store";
import { HyperLogLog } from "./hyperloglog";
import { HOUR_MS } from "./post-views";
import { postHours, postViewCounts, postViewerSketches } from "./tables";
import type { PostInsights } from "./params";

/** The hours insights show, from the one the post was made in: its first two days, as Instagram's. */
export const INSIGHT_HOURS = 48;
/** Hour rows read for the totals: a post seen every hour for more than a year is summed over its first year. */
const MAX_HOUR_ROWS = 10_000;
/** Sketch rows merged: one per node process that saw the post. */
const MAX_SKETCHES = 1_000;

/**
 * A post's insights for its author: views and plays (as flushed), unique viewers (the union of every node's
 * sketch), likes and comments as they stand, saves and shares as they were made, the reach among followers and
 * others, and the first 48 hours hour by hour.
 */
export class Insights {
  constructor(
    private readonly deps: {
      store: WideRowStore;
      /** The post as the caller sees it (404 when they may not). */
      post: (callerId: string, postId: string) => Promise<PostView>;
    },
  ) {}

  async of(callerId: string, postId: string): Promise<PostInsights> {
    const post = await this.deps.post(callerId, postId);
    if (post.author.id !== callerId) {
      throw new ForbiddenError("NOT_AUTHOR", "only the author sees a post's insights");
    }
    const { store } = this.deps;
    const [counts, hours, sketches] = await Promise.all([
      store.get(postViewCounts, { post_id: postId }),
      readRows(MAX_HOUR_ROWS, (limit, pageToken) =>
        store.slice(postHours, { post_id: postId }, { limit, pageToken }),
      ),
      readRows(MAX_SKETCHES, (limit, pageToken) =>
        store.slice(postViewerSketches, { post_id: postId }, { limit, pageToken }),
      ),
    ]);
    const union = new HyperLogLog();
    for (const row of sketches) if (row.sketch !== undefined) union.merge(HyperLogLog.fromText(row.sketch));
    const firstHour = Math.floor(Date.parse(post.createdAt) / HOUR_MS);
    const byHour = new Map(hours.map((row) => [row.hour, row]));
    const views = counts?.views ?? 0;
    const followerViews = counts?.follower_views ?? 0;
    return {
      postId,
      views,
      plays: counts?.plays ?? 0,
      uniqueViewers: union.estimate(),
      likes: post.likeCount,
      comments: post.commentCount,
      saves: hours.reduce((sum, row) => sum + (row.saves ?? 0), 0),
      shares: hours.reduce((sum, row) => sum + (row.shares ?? 0), 0),
      reach: { followers: followerViews, nonFollowers: Math.max(0, views - followerViews) },
      hours: Array.from({ length: INSIGHT_HOURS }, (_, i) => {
        const row = byHour.get(firstHour + i);
        return {
          at: new Date((firstHour + i) * HOUR_MS).toISOString(),
          views: row?.views ?? 0,
          plays: row?.plays ?? 0,
          likes: row?.likes ?? 0,
          comments: row?.comments ?? 0,
          saves: row?.saves ?? 0,
          shares: row?.shares ?? 0,
        };
      }),
    };
  }
}

/** The first `max` rows a paged read gives, at most 1,000 a page. */
async function readRows<R>(
  max: number,
  read: (limit: number, pageToken: string | undefined) => Promise<{ rows: R[]; nextPageToken?: string }>,
): Promise<R[]> {
  const rows: R[] = [];
  let pageToken: string | undefined;
  do {
    const page = await read(Math.min(1_000, max - rows.length), pageToken);
    rows.push(...page.rows);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined && rows.length < max);
  return rows;
}
