import { createHmac, timingSafeEqual } from "node:crypto";
import { BadRequestError } from "../errors";
import type { Graph } from "../graph";
import { compareIds, isId } from "../ids";
import type { Page, PostView, Posts } from "../posts/posts";
import { userCounts } from "../accounts/tables";
import { posts } from "../posts/tables";
import type { WideRowStore } from "../store/store";
import type { Fanout } from "./fanout";
import type { TimelineEntry, Timelines } from "./timelines";

/** How long a reader may not yet pull from an account that just became a celebrity. */
const CELEBRITY_LIST_TTL_MS = 5_000;

/**
 * The home feed: the reader's timeline (what fan-out pushed) merged with the recent posts of the celebrities
 * they follow (never fanned out), filtered at read time against the graph as it is now (unfollows, blocks and
 * deletes take effect at once), then hydrated in one batch per page. Pages are keyed by post id, so new posts
 * arriving meanwhile never shift a page: no repeats, no gaps.
 */
export class Feed {
  private celebrityList: { ids: string[]; at: number } | undefined;

  constructor(
    private readonly deps: {
      store: WideRowStore;
      timelines: Timelines;
      graph: Graph;
      posts: Posts;
      fanout: Fanout;
      /** Seals cursors, so that one not issued here is refused. */
      cursorKey: string;
      now?: () => number;
    },
  ) {}

  async read(viewerId: string, page: { limit: number; cursor?: string }): Promise<Page<PostView>> {
    let before = page.cursor === undefined ? undefined : this.openCursor(page.cursor);
    const celebs = await this.followedCelebrities(viewerId);
    const items: PostView[] = [];
    // Each round takes a window of candidates; filtering may drop some, so a page can need a few rounds.
    for (let round = 0; round < 5 && items.length < page.limit; round++) {
      const want = (page.limit - items.length) * 2;
      const candidates = await this.candidates(viewerId, celebs, before, want);
      if (candidates.length === 0) break;
      const visible = await this.visibleOf(viewerId, candidates);
      // Hydrate only as many as the page still needs; more only if some turn out gone or not ready.
      for (let at = 0; at < visible.length && items.length < page.limit;) {
        const chunk = visible.slice(at, at + page.limit - items.length);
        at += chunk.length;
        for (const view of await this.deps.posts.hydrate(viewerId, chunk)) {
          // A post whose media are still processing shows up once they are ready (its author sees it at once).
          const ready = view.author.id === viewerId || view.media.every((m) => m.status === "ready");
          if (ready) items.push(view);
        }
      }
      before = candidates[candidates.length - 1]?.postId;
      if (candidates.length < want) break;
    }
    const last = items[items.length - 1];
    return { items, nextCursor: items.length === page.limit && last ? this.sealCursor(last.id) : null };
  }

  private async candidates(
    viewerId: string,
    celebs: readonly string[],
    before: string | undefined,
    limit: number,
  ): Promise<TimelineEntry[]> {
    const [own, ...pulled] = await Promise.all([
      this.deps.timelines.page(viewerId, { ...(before !== undefined && { before }), limit }),
      ...celebs.map(async (authorId) => {
        const slice = await this.deps.store.slice(
          posts,
          { author_id: authorId },
          { limit, ...(before !== undefined && { lt: { post_id: before } }) },
        );
        return slice.rows.map((r) => ({ postId: r.post_id, authorId }));
      }),
    ]);
    const byId = new Map<string, TimelineEntry>();
    for (const entry of [...(own ?? []), ...pulled.flat()]) byId.set(entry.postId, entry);
    return [...byId.values()].sort((a, b) => compareIds(b.postId, a.postId)).slice(0, limit);
  }

  /** Entries whose author the viewer still follows (or is), with no block between them. */
  private async visibleOf(viewerId: string, entries: readonly TimelineEntry[]): Promise<TimelineEntry[]> {
    const authors = [...new Set(entries.map((e) => e.authorId))].filter((a) => a !== viewerId);
    const verdicts = await Promise.all(
      authors.map(
        async (a) =>
          [
            a,
            (await this.deps.graph.isFollowing(viewerId, a)) &&
              !(await this.deps.graph.isBlockedEitherWay(viewerId, a)),
          ] as const,
      ),
    );
    const allowed = new Set([viewerId, ...verdicts.filter(([, ok]) => ok).map(([a]) => a)]);
    return entries.filter((e) => allowed.has(e.authorId));
  }

  /** The celebrities the viewer follows, walking whichever is shorter: the celebrities or the viewer's follows. */
  private async followedCelebrities(viewerId: string): Promise<string[]> {
    const now = (this.deps.now ?? Date.now)();
    if (!this.celebrityList || now - this.celebrityList.at > CELEBRITY_LIST_TTL_MS) {
      this.celebrityList = { ids: await this.deps.fanout.celebrityIds(), at: now };
    }
    const celebs = this.celebrityList.ids;
    if (celebs.length === 0) return [];
    const counts = await this.deps.store.get(userCounts, { user_id: viewerId });
    if ((counts?.following ?? 0) < celebs.length) {
      const wanted = new Set(celebs);
      const found: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await this.deps.graph.following(viewerId, { limit: 100, ...(cursor && { cursor }) });
        found.push(...page.ids.filter((id) => wanted.has(id)));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      return found;
    }
    const follows = await Promise.all(
      celebs.map(async (id) =>
        id !== viewerId && (await this.deps.graph.isFollowing(viewerId, id)) ? id : undefined,
      ),
    );
    return follows.filter((id): id is string => id !== undefined);
  }

  private sealCursor(postId: string): string {
    return `${postId}.${this.mac(postId)}`;
  }

  private openCursor(cursor: string): string {
    const [postId = "", mac = ""] = cursor.split(".");
    const expected = this.mac(postId);
    if (
      !isId(postId) ||
      mac.length !== expected.length ||
      !timingSafeEqual(Buffer.from(mac), Buffer.from(expected))
    ) {
      throw new BadRequestError("INVALID_CURSOR", "the cursor is not ours");
    }
    return postId;
  }

  private mac(postId: string): string {
    return createHmac("sha256", this.deps.cursorKey)
      .update(`feed:${postId}`)
      .digest("base64url")
      .slice(0, 16);
  }
}
