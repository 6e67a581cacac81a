import { createHmac, timingSafeEqual } from "node:crypto";
import { inForce } from "../graph/mutes";
import { BadRequestError } from "../errors";
import type { Graph } from "../graph";
import { isId } from "../ids";
import type { Page, PostView, Posts } from "../posts/posts";
import { userCounts } from "../accounts/tables";
import { postKey, posts } from "../posts/tables";
import type { WideRowStore } from "../store/store";
import { AuthorViews } from "./author-views";
import { CelebrityPosts } from "./celebrity-posts";
import { LruMap } from "../concurrency/lru-map";
import { whenAll } from "../concurrency/when-all";
import { mergeNewestFirst } from "./merge";
import { ViewerRelations, type FollowedCelebrities, type Relations } from "./viewer-relations";
import type { Fanout } from "./fanout";
import type { TimelineEntry, Timelines } from "./timelines";

/** How long a reader may not yet pull from an account that just became a celebrity. */
const CELEBRITY_LIST_TTL_MS = 5_000;
/** Cursor MACs a node keeps: a few per warm reader. */
const KEPT_CURSOR_MACS = 20_000;
/** Clean-ups running at once on a node; past it a read leaves its stale rows to a later read, which finds them. */
const MAX_CLEANUPS = 8;
/** Rows one clean-up removes at most, so that one reader's backlog cannot hold a slot for long. */
const MAX_CLEANUP_ROWS = 500;

/** A candidate entry, and whether it sits in the reader's timeline row (not only pulled from a celebrity). */
interface Candidate extends TimelineEntry {
  stored: boolean;
}

/**
 * The home feed: the reader's timeline (what fan-out pushed) merged with the recent posts of the celebrities
 * they follow (never fanned out), filtered at read time against the graph as it is now (unfollows, blocks and
 * deletes take effect at once; the rows they leave in the timeline are removed in the background), then
 * hydrated in one batch per page. Pages are keyed by post id, so new posts arriving meanwhile never shift a
 * page: no repeats, no gaps.
 */
export class Feed {
  private celebrityList: { ids: string[]; at: number } | undefined;
  /** Readers whose timeline is being cleaned up now. */
  private readonly cleaning = new Set<string>();
  private readonly warn: (message: string) => void;
  private readonly authors: AuthorViews;
  private readonly celebrityPosts: CelebrityPosts;
  private readonly relations: ViewerRelations;
  /** Cursor MACs by post id (see `mac`). */
  private readonly macs = new LruMap<string, string>(KEPT_CURSOR_MACS);

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
      /** Hears of background clean-ups that failed (default: a Node process warning). */
      warn?: (message: string) => void;
    },
  ) {
    this.celebrityPosts = new CelebrityPosts(deps.store, { ...(deps.now && { now: deps.now }) });
    this.authors = new AuthorViews({ ...(deps.now && { now: deps.now }) });
    this.relations = new ViewerRelations(deps.graph, deps.now);
    this.warn = deps.warn ?? ((message) => process.emitWarning(message, { code: "MOSAIC_TIMELINE_CLEANUP" }));
  }

  async read(viewerId: string, page: { limit: number; cursor?: string }): Promise<Page<PostView>> {
    let before = page.cursor === undefined ? undefined : this.openCursor(page.cursor);
    const { relations, celebs, verdict, unmuted } = await this.readerOf(viewerId);
    const items: PostView[] = [];
    // Timeline rows the read skipped (author unfollowed or blocked, post deleted): storage catches up later.
    const stale: TimelineEntry[] = [];
    // Each round takes a window of candidates; filtering may drop some, so a page can need a few rounds.
    let more = true;
    for (let round = 0; round < 5 && items.length < page.limit; round++) {
      const want = (page.limit - items.length) * 2;
      const candidates = await this.candidates(viewerId, celebs, before, want);
      if (candidates.length === 0) {
        more = false;
        break;
      }
      // Check and hydrate only as many as the page still needs; more only if some turn out hidden, gone or not
      // ready.
      for (let at = 0; at < candidates.length && items.length < page.limit;) {
        const next = candidates.slice(at, at + page.limit - items.length);
        at += next.length;
        const visible = await this.visibleOf(viewerId, next, verdict);
        const kept = new Set(visible.map((e) => e.postId));
        stale.push(...next.filter((c) => c.stored && !kept.has(c.postId)));
        // Muted authors' rows are passed over, never cleaned up: an unmute shows them again.
        const chunk = visible.filter(unmuted);
        if (chunk.length === 0) continue;
        // Every author here passed visibleOf just now: followed (or the viewer), no block either way.
        const views = await this.deps.posts.hydrate(viewerId, chunk, {
          authorView: (authorId, profile) =>
            this.authors.ofFollowed(viewerId, authorId, profile, () =>
              relations.followedBy(authorId, () => this.deps.graph.isFollowing(authorId, viewerId)),
            ),
        });
        for (const view of views) {
          // A post whose media are still processing shows up once they are ready (its author sees it at once).
          const ready = view.author.id === viewerId || view.media.every((m) => m.status === "ready");
          if (ready) items.push(view);
        }
        const found = new Set(views.map((v) => v.id));
        stale.push(...chunk.filter((c) => c.stored && !found.has(c.postId)));
      }
      before = candidates[candidates.length - 1]?.postId;
      if (candidates.length < want) {
        more = false;
        break;
      }
    }
    this.cleanUp(viewerId, stale);
    const last = items[items.length - 1];
    if (items.length === page.limit && last) return { items, nextCursor: this.sealCursor(last.id) };
    // The rounds ran out on a long run of skipped rows (an unfollowed author's, waiting for their clean-up): a
    // short page, even an empty one, whose cursor goes on from the last row looked at. Ending the feed here would
    // hide everything older from the reader.
    return { items, nextCursor: more && before !== undefined ? this.sealCursor(before) : null };
  }

  /**
   * The newest `max` entries the reader may see now (own, followed, celebrities followed; no block either way),
   * not hydrated: the ranked feed scores these before it hydrates the few it shows. `more`: older ones exist.
   */
  async visibleEntries(viewerId: string, max: number): Promise<{ entries: TimelineEntry[]; more: boolean }> {
    const { celebs, verdict, unmuted } = await this.readerOf(viewerId);
    const entries: TimelineEntry[] = [];
    let before: string | undefined;
    for (let round = 0; round < 5 && entries.length < max; round++) {
      const want = max - entries.length;
      const candidates = await this.candidates(viewerId, celebs, before, want);
      const visible = (await this.visibleOf(viewerId, candidates, verdict)).filter(unmuted);
      entries.push(...visible.map(({ postId, authorId }) => ({ postId, authorId })));
      before = candidates[candidates.length - 1]?.postId;
      if (candidates.length < want) return { entries, more: false };
    }
    return { entries, more: true };
  }

  /**
   * Views of entries `visibleEntries` gave (followed authors, or the reader's own), built as the feed builds its
   * pages: authors' public profiles shared by the node's readers for a few seconds, the relationship from what
   * this node keeps of the reader.
   */
  async hydrateVisible(viewerId: string, entries: readonly TimelineEntry[]): Promise<PostView[]> {
    const relations = await this.relations.of(viewerId);
    // The ranked feed keeps its ranking for minutes: a mute made since takes effect on its next page.
    const unmuted = await this.unmutedOf(viewerId, relations);
    return this.deps.posts.hydrate(viewerId, entries.filter(unmuted), {
      authorView: (authorId, profile) =>
        this.authors.ofFollowed(viewerId, authorId, profile, () =>
          relations.followedBy(authorId, () => this.deps.graph.isFollowing(authorId, viewerId)),
        ),
    });
  }

  /** A chronological cursor that goes on with the posts older than `postId` (the ranked feed's continuation). */
  cursorBefore(postId: string): string {
    return this.sealCursor(postId);
  }

  /**
   * What a read needs of the reader: their relations, the celebrities they follow, whether they may read an
   * author, and whether an entry's author is one they do not mute.
   */
  private async readerOf(viewerId: string): Promise<{
    relations: Relations;
    celebs: string[];
    verdict: (authorId: string) => boolean | Promise<boolean>;
    unmuted: (entry: { authorId: string }) => boolean;
  }> {
    const relations = await this.relations.of(viewerId);
    const unmuted = await this.unmutedOf(viewerId, relations);
    const { ids: celebs, checked } = await this.followedCelebrities(viewerId, relations);
    // Celebrities checked against their deciding rows are followed: only blocks are left to ask of them.
    const followed = new Set(checked ? celebs : []);
    const verdict = (authorId: string) =>
      relations.mayRead(authorId, () => this.mayRead(viewerId, authorId, followed.has(authorId)));
    return { relations, celebs, verdict, unmuted };
  }

  /** Whether an entry's author is one the reader does not mute now (their own entries always are). */
  private async unmutedOf(
    viewerId: string,
    relations: Relations,
  ): Promise<(entry: { authorId: string }) => boolean> {
    const muted = await relations.muted(() => this.deps.graph.mutes.active(viewerId));
    const now = this.deps.now?.() ?? Date.now();
    return (entry) => !muted.has(entry.authorId) || !inForce(muted.get(entry.authorId), now);
  }

  /** An account was suspended or let back: its profile, shared by every reader here, is read again. */
  forgetAuthor(authorId: string): void {
    this.authors.forget(authorId);
  }

  /** Ownership of readers moved to other nodes: what this node kept of them is dropped. */
  forgetAll(): void {
    this.relations.forgetAll();
  }

  /** A post was published: its author's readers on this node see it on their next read, celebrity or not. */
  posted(authorId: string): void {
    this.celebrityPosts.forget(authorId);
  }

  private async candidates(
    viewerId: string,
    celebs: readonly string[],
    before: string | undefined,
    limit: number,
  ): Promise<Candidate[]> {
    const [own, ...pulled] = await Promise.all([
      this.deps.timelines.page(viewerId, { ...(before !== undefined && { before }), limit }),
      ...celebs.map((authorId) =>
        this.celebrityPosts.page(authorId, { ...(before !== undefined && { before }), limit }),
      ),
    ]);
    if (pulled.length === 0) return own.map(({ postId, authorId }) => ({ postId, authorId, stored: true }));
    // The timeline first: a post both pushed and pulled (its author became a celebrity since) counts as stored.
    const merged = mergeNewestFirst<TimelineEntry>([own, ...pulled], limit);
    const stored = new Set(own.map((e) => e.postId));
    return merged.map(({ postId, authorId }) => ({ postId, authorId, stored: stored.has(postId) }));
  }

  /**
   * Entries whose author the viewer still follows (or is), with no block between them, each author asked once
   * (`verdict`, by default straight from the graph).
   */
  private async visibleOf<T extends TimelineEntry>(
    viewerId: string,
    entries: readonly T[],
    verdict: (authorId: string) => boolean | Promise<boolean> = (authorId) =>
      this.mayRead(viewerId, authorId, false),
  ): Promise<T[]> {
    const asked = new Map<string, boolean | Promise<boolean>>();
    // A warm reader's answers are all kept: nothing to wait for.
    const ok = await whenAll(
      entries.map((e) => {
        if (e.authorId === viewerId) return true;
        let answer = asked.get(e.authorId);
        if (answer === undefined) {
          answer = verdict(e.authorId);
          asked.set(e.authorId, answer);
        }
        return answer;
      }),
    );
    return entries.filter((_, i) => ok[i]);
  }

  private async mayRead(viewerId: string, authorId: string, followKnown: boolean): Promise<boolean> {
    return (
      (followKnown || (await this.deps.graph.isFollowing(viewerId, authorId))) &&
      !(await this.deps.graph.isBlockedEitherWay(viewerId, authorId))
    );
  }

  /**
   * Removes skipped rows from the reader's timeline without holding up the answer. Bounded: one clean-up per
   * reader and a few per node at a time; rows left over are found again by a later read.
   */
  private cleanUp(viewerId: string, stale: readonly TimelineEntry[]): void {
    if (stale.length === 0 || this.cleaning.has(viewerId) || this.cleaning.size >= MAX_CLEANUPS) return;
    this.cleaning.add(viewerId);
    const authorOf = new Map(stale.slice(0, MAX_CLEANUP_ROWS).map((e) => [e.postId, e.authorId]));
    const entriesOf = (ids: readonly string[]) =>
      ids.map((postId) => ({ postId, authorId: authorOf.get(postId) ?? "" }));
    void this.deps.timelines
      .remove(viewerId, [...authorOf.keys()], async (ids) => this.stillStale(viewerId, entriesOf(ids)))
      .catch((err: unknown) =>
        this.warn(
          `clean-up of the timeline of ${viewerId} failed: ${err instanceof Error ? err.message : String(err)}`,
        ),
      )
      .finally(() => this.cleaning.delete(viewerId));
  }

  /** Checked again in the reader's mailbox: they may have followed the author again since the read. */
  private async stillStale(viewerId: string, entries: readonly TimelineEntry[]): Promise<string[]> {
    const visible = new Set((await this.visibleOf(viewerId, entries)).map((e) => e.postId));
    const gone = await Promise.all(
      entries.map(
        async (e) =>
          !visible.has(e.postId) ||
          (await this.deps.store.get(posts, postKey(e.authorId, e.postId))) === undefined,
      ),
    );
    return entries.filter((_, i) => gone[i]).map((e) => e.postId);
  }

  /**
   * The celebrities the viewer follows, walking whichever is shorter: the celebrities or the viewer's follows.
   * `checked` when each was read from the edge's deciding row (a list row can outlive an unfollow for a moment).
   */
  private async followedCelebrities(viewerId: string, relations: Relations): Promise<FollowedCelebrities> {
    const now = (this.deps.now ?? Date.now)();
    if (!this.celebrityList || now - this.celebrityList.at > CELEBRITY_LIST_TTL_MS) {
      const ids = await this.deps.fanout.celebrityIds();
      // The same list object while its ids are the same: readers keep whom of them they follow per list.
      const same =
        this.celebrityList?.ids.length === ids.length &&
        ids.every((id, i) => this.celebrityList?.ids[i] === id);
      this.celebrityList = { ids: same && this.celebrityList ? this.celebrityList.ids : ids, at: now };
    }
    const celebs = this.celebrityList.ids;
    if (celebs.length === 0) return { ids: [], checked: true };
    // Kept with the reader's relations for as long as the list of celebrities is the same one.
    return relations.followedCelebrities(celebs, () => this.followedAmong(viewerId, celebs));
  }

  private async followedAmong(viewerId: string, celebs: readonly string[]): Promise<FollowedCelebrities> {
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
      return { ids: found, checked: false };
    }
    const follows = await Promise.all(
      celebs.map(async (id) =>
        id !== viewerId && (await this.deps.graph.isFollowing(viewerId, id)) ? id : undefined,
      ),
    );
    return { ids: follows.filter((id): id is string => id !== undefined), checked: true };
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
    // A warm reader's first page ends at the same post read after read: its MAC is looked up, not computed.
    let mac = this.macs.get(postId);
    if (mac === undefined) {
      mac = createHmac("sha256", this.deps.cursorKey)
        .update(`feed:${postId}`)
        .digest("base64url")
        .slice(0, 16);
      this.macs.set(postId, mac);
    }
    return mac;
  }
}
