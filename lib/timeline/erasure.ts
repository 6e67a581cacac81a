import type { Graph } from "../graph";
import type { Posts } from "../posts/posts";
import type { WideRowStore } from "../store/store";
import type { Fanout } from "./fanout";
import type { Timelines } from "./timelines";
import { homeTimeline } from "./tables";

/** Followers one call clears of the author's posts. */
const FOLLOWERS_PER_CALL = 50;
/** Post ids read per page, and removed from one timeline per write. */
const POSTS_PAGE = 1_000;
/** The cursor of the last part of the step, once every follower is cleared. */
const OWN = "own";

export interface TimelineErasureDeps {
  store: WideRowStore;
  timelines: Timelines;
  fanout: Fanout;
  graph: Pick<Graph, "followerIdsPage">;
  posts: Pick<Posts, "idsByAuthor" | "deletedIdsByAuthor">;
}

/**
 * An account's erasure from the timelines: its posts out of each follower's timeline (fan-out put them there),
 * then its own timeline and its place among the celebrities. Runs before the follows and the posts go, since it
 * finds the rows through both. Rows in the timelines of those who stopped following earlier are left to the
 * reads' own clean-up (the feed drops rows of posts that are gone); they name a post that no longer exists.
 */
export class TimelineErasure {
  constructor(private readonly deps: TimelineErasureDeps) {}

  /** One bounded call; the cursor says which follower comes next, or that only the account's own rows are left. */
  async erase(userId: string, cursor?: string): Promise<{ done: boolean; cursor?: string }> {
    const { graph } = this.deps;
    if (cursor !== OWN) {
      const page = await graph.followerIdsPage(userId, cursor, FOLLOWERS_PER_CALL);
      if (page.ids.length > 0) {
        // Read once per call, for every follower of the page.
        const postIds = await this.postIdsOf(userId);
        for (const followerId of page.ids) {
          for (let i = 0; i < postIds.length; i += POSTS_PAGE) {
            await this.deps.timelines.remove(followerId, postIds.slice(i, i + POSTS_PAGE));
          }
        }
      }
      return { done: false, cursor: page.nextPageToken ?? OWN };
    }
    await homeTimeline.erase(this.deps.store, userId);
    await this.deps.fanout.forgetAuthor(userId);
    return { done: true };
  }

  /** The author's posts and those they deleted (a deletion leaves timeline rows to the reads' clean-up). */
  private async postIdsOf(authorId: string): Promise<string[]> {
    const { posts } = this.deps;
    return [
      ...(await all((after) => posts.idsByAuthor(authorId, POSTS_PAGE, after))),
      ...(await all((after) => posts.deletedIdsByAuthor(authorId, POSTS_PAGE, after))),
    ];
  }
}

/** Every id of a list read a page at a time, each page after the last id of the one before. */
async function all(page: (after: string | undefined) => Promise<string[]>): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const read = await page(ids.at(-1));
    ids.push(...read);
    if (read.length < POSTS_PAGE) return ids;
  }
}
