import { mapLimit } from "../discovery/map-limit";
import type { Graph } from "../graph";
import { authorPosts } from "../posts/tables";
import { rowsForTimeline } from "../audience/audience";
import type { WideRowStore } from "../store/store";
import type { Timelines } from "./timelines";

/** Each followed author's newest posts a rebuild writes back: the same depth a new follow backfills. */
export const BACKFILL_POSTS = 20;
/** Followed accounts a rebuild reads, newest follows first: as many as the feed's relations hold. */
const MAX_AUTHORS = 5_000;
/** Authors read at once: a rebuild is a repair, never a burst on the store. */
const READS_IN_FLIGHT = 8;

export interface RebuildDeps {
  store: WideRowStore;
  graph: Pick<Graph, "followingIds" | "closeFriends">;
  timelines: Pick<Timelines, "push">;
  /** Accounts whose posts readers pull instead of being pushed (lib/timeline/fanout.ts). */
  celebrityIds: () => Promise<string[]>;
}

/**
 * Writes back a user's timeline from the posts of whom they follow (and their own), the newest `BACKFILL_POSTS` of
 * each: what a fan-out lost to a restored store or a crash before its job was recorded comes back. Pushes are
 * idempotent, so entries already there stay once; entries of authors no longer followed are left to the feed,
 * which drops them as it reads.
 */
export async function rebuildTimeline(
  deps: RebuildDeps,
  userId: string,
): Promise<{ authors: number; entries: number }> {
  const [following, celebrities] = await Promise.all([
    deps.graph.followingIds(userId, MAX_AUTHORS),
    deps.celebrityIds(),
  ]);
  const pulled = new Set(celebrities);
  const authors = [...new Set([userId, ...following])].filter((id) => !pulled.has(id));
  const counts = await mapLimit(authors, READS_IN_FLIGHT, async (authorId) => {
    const recent = await rowsForTimeline(
      deps.graph.closeFriends,
      userId,
      authorId,
      await authorPosts.first(deps.store, authorId, { limit: BACKFILL_POSTS }),
    );
    await deps.timelines.push(
      userId,
      recent.map((row) => ({ postId: row.post_id, authorId })),
    );
    return recent.length;
  });
  return { authors: authors.length, entries: counts.reduce((sum, n) => sum + n, 0) };
}
