import { z } from "zod";
import { LruMap } from "../concurrency/lru-map";
import type { PostView } from "../contracts/objects";
import { BadRequestError } from "../errors";
import { postAuthors } from "../posts/tables";
import type { WideRowStore } from "../store/store";
import type { Page, PageRequest } from "../validation/page";
import type { EngagementLog } from "./engagement-log";
import { HeatTally, MAX_PER_AUTHOR, pickCandidates, type RankedPost } from "./explore-rank";
import { mapLimit } from "./map-limit";
import type {
  AccountPrivacy,
  AuthorStanding,
  BlockLists,
  FollowLists,
  MuteLists,
  VisiblePosts,
} from "./ports";
import { SealedCursor } from "./sealed-cursor";
import type { Snapshot, Snapshots } from "./snapshots";
import { HOUR_MS, hourOf } from "./tables";

const SNAPSHOT = "explore";
/** Hours of likes and comments a round reads: with a half-life of hours, older ones weigh next to nothing. */
export const EXPLORE_WINDOW_HOURS = 24;
/** Hottest posts a round checks (still there, public author), and how many it keeps. */
const CANDIDATES = 3_000;
const KEPT = 1_000;
/** Entries one page may look through, as a multiple of its limit (see TagFeed's READ_FACTOR). */
const READ_FACTOR = 10;
/** Follows and blocks of one reader taken into account, kept per node a little while. */
const MAX_RELATIONS = 5_000;
const RELATIONS_TTL_MS = 30_000;
const RELATIONS_KEPT = 10_000;
const RELOAD_MS = 5_000;
const GENERATIONS_KEPT = 4;
const PARALLEL = 16;

const entrySchema = z.object({ postId: z.string(), authorId: z.string() });

const cursors = new SealedCursor("explore", [/^[0-9a-z]{1,11}_[0-9a-f]{12}$/, /^[0-9]{1,6}$/]);

/** A cursor of a ranking that expired: the reader starts again from the first page. */
function expiredCursor(): BadRequestError {
  return new BadRequestError(
    "CURSOR_EXPIRED",
    "this page of explore has expired; start again without a cursor",
    {
      field: "cursor",
    },
  );
}

interface Relations {
  at: number;
  following: ReadonlySet<string>;
  blocked: ReadonlySet<string>;
}

/**
 * Explore: posts gaining likes and comments fastest, ranked every round (a minute) by one node into a stored
 * snapshot of up to 1,000 posts of public authors, and paged per reader from it. A cursor carries the snapshot's
 * generation and a position in it, so paging goes on through the very ranking it started with (stable: no repeats,
 * nothing moves) while new rounds are computed. Per page the reader's own posts, those of accounts it follows,
 * blocks or is blocked by are left out, at most two per author, and every post is hydrated as the reader may see
 * it now (a post deleted or an account gone private since the round is skipped).
 */
export class Explore {
  private latest: { snapshot: Snapshot<RankedPost>; checkedAt: number } | undefined;
  private readonly generations = new LruMap<string, Snapshot<RankedPost>>(GENERATIONS_KEPT);
  private readonly relations = new LruMap<string, Relations>(RELATIONS_KEPT);
  private readonly now: () => number;

  constructor(
    private readonly deps: {
      store: WideRowStore;
      log: EngagementLog;
      snapshots: Snapshots;
      posts: VisiblePosts;
      follows: FollowLists;
      blocks: BlockLists;
      /** Read afresh for every page (one partition), so that a mute shows at once. */
      mutes: MuteLists;
      privacy: AccountPrivacy;
      standing: AuthorStanding;
      halfLifeMs: number;
      now?: () => number;
    },
  ) {
    this.now = deps.now ?? Date.now;
  }

  /** One periodic round: computes the ranking if no other node took this round. */
  async refresh(holder: string, roundSeconds: number): Promise<boolean> {
    if (!(await this.deps.snapshots.claim(SNAPSHOT, holder, Math.max(1, roundSeconds - 1)))) return false;
    await this.compute();
    return true;
  }

  async compute(): Promise<Snapshot<RankedPost>> {
    const now = this.now();
    const current = hourOf(now);
    const tally = new HeatTally(now, this.deps.halfLifeMs);
    for (let i = 0; i < EXPLORE_WINDOW_HOURS; i++) {
      for await (const batch of this.deps.log.hour(current - i * HOUR_MS)) tally.add(batch);
    }
    const hottest = tally.ranked().slice(0, CANDIDATES);
    const excluded = await this.deps.standing.excluded([...new Set(hottest.map((p) => p.authorId))]);
    const publicAuthors = new Map<string, Promise<boolean>>();
    const isPublic = (authorId: string): Promise<boolean> => {
      let known = publicAuthors.get(authorId);
      if (known === undefined) {
        known = this.deps.privacy.isPublic(authorId);
        publicAuthors.set(authorId, known);
      }
      return known;
    };
    const kept = await mapLimit(hottest, PARALLEL, async (post) => {
      if (excluded.has(post.authorId)) return false;
      const owner = await this.deps.store.get(postAuthors, { post_id: post.postId });
      return owner?.author_id === post.authorId && (await isPublic(post.authorId));
    });
    const entries = hottest
      .filter((_, i) => kept[i] === true)
      .slice(0, KEPT)
      .map(({ postId, authorId }) => ({ postId, authorId }));
    const snapshot = await this.deps.snapshots.save(SNAPSHOT, entries);
    this.latest = { snapshot, checkedAt: this.now() };
    this.generations.set(snapshot.generation, snapshot);
    return snapshot;
  }

  async page(viewerId: string, request: PageRequest): Promise<Page<PostView>> {
    let snapshot: Snapshot<RankedPost> | undefined;
    let from = 0;
    if (request.cursor !== undefined) {
      const [generation = "", position = "0"] = cursors.open(viewerId, request.cursor);
      snapshot = await this.generation(generation);
      if (snapshot === undefined) throw expiredCursor();
      from = Number(position);
    } else {
      snapshot = await this.current();
    }
    if (snapshot === undefined) return { items: [], nextCursor: null };
    const entries = snapshot.entries;
    const [{ following, blocked }, muted] = await Promise.all([
      this.relationsOf(viewerId),
      this.deps.mutes.active(viewerId),
    ]);
    const skip = (entry: RankedPost) =>
      entry.authorId === viewerId ||
      following.has(entry.authorId) ||
      blocked.has(entry.authorId) ||
      muted.has(entry.authorId);
    const until = Math.min(entries.length, from + READ_FACTOR * request.limit);
    const onPage = new Map<string, number>();
    const items: PostView[] = [];
    let next = from;
    while (items.length < request.limit && next < until) {
      const round = pickCandidates(entries, {
        from: next,
        until,
        want: request.limit - items.length,
        skip,
        onPage,
      });
      next = round.next;
      const views = await this.deps.posts.hydrateVisible(viewerId, round.picked);
      for (const view of views) {
        // As the reader stands now: a follow made since the relations were read, or an account gone private.
        if (view.author.isPrivate || view.author.relationship?.following === true) continue;
        const count = onPage.get(view.author.id) ?? 0;
        if (count >= MAX_PER_AUTHOR) continue;
        onPage.set(view.author.id, count + 1);
        items.push(view);
      }
    }
    return {
      items,
      nextCursor: next < entries.length ? cursors.seal(viewerId, [snapshot.generation, String(next)]) : null,
    };
  }

  /** Whom the reader follows and who blocks it either way, kept per node for a few seconds. */
  private async relationsOf(viewerId: string): Promise<Relations> {
    const now = this.now();
    const kept = this.relations.get(viewerId);
    if (kept !== undefined && now - kept.at < RELATIONS_TTL_MS) return kept;
    const [following, blocked] = await Promise.all([
      this.deps.follows.followingIds(viewerId, MAX_RELATIONS),
      this.deps.blocks.blockedEitherWayIds(viewerId, MAX_RELATIONS),
    ]);
    const relations = { at: now, following: new Set(following), blocked: new Set(blocked) };
    this.relations.set(viewerId, relations);
    return relations;
  }

  private async current(): Promise<Snapshot<RankedPost> | undefined> {
    const now = this.now();
    const held = this.latest;
    if (held !== undefined && now - held.checkedAt < RELOAD_MS) return held.snapshot;
    const pointer = await this.deps.snapshots.current(SNAPSHOT);
    if (pointer === undefined) return held?.snapshot;
    if (held?.snapshot.generation === pointer.generation) {
      held.checkedAt = now;
      return held.snapshot;
    }
    const loaded = await this.generation(pointer.generation);
    if (loaded !== undefined) this.latest = { snapshot: loaded, checkedAt: now };
    return loaded ?? held?.snapshot;
  }

  private async generation(generation: string): Promise<Snapshot<RankedPost> | undefined> {
    const kept = this.generations.get(generation);
    if (kept !== undefined) return kept;
    const loaded = await this.deps.snapshots.load(SNAPSHOT, generation, entrySchema);
    if (loaded !== undefined) this.generations.set(generation, loaded);
    return loaded;
  }
}
