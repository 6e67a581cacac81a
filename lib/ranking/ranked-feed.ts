import { randomUUID } from "node:crypto";
import { BadRequestError } from "../errors";
import type { PostView } from "../contracts/objects";
import { LruMap } from "../concurrency/lru-map";
import { compareIds } from "../ids";
import type { Page } from "../validation/page";
import type { TimelineEntry } from "../timeline/timelines";
import type { ActivityTotals } from "../views/activity";
import { combine, postTerms, type Score } from "./score";

type PostTerms = Pick<Score, "recency" | "engagement">;

/** Candidates one ranking scores: the reader's newest visible posts, as the chronological feed has them. */
export const RANKED_CANDIDATES = 100;
/** How long a ranking stays for its next pages: a session of scrolling, not a day. */
const SNAPSHOT_TTL_MS = 10 * 60_000;
/**
 * Readers whose latest ranking a node keeps (about 10 KB each). One ranking per reader: a new first page replaces
 * it (and its cursors expire), so memory follows the readers scrolling in the last minutes, not the requests; past
 * it, the least recently read ranking goes, and its next page is a CURSOR_EXPIRED.
 */
const KEPT_SNAPSHOTS = 5_000;
/**
 * How long a post's engagement and a reader's affinities are reused across rankings: a score may lag by as much,
 * and the readers of a popular author share its posts' totals instead of reading them each time.
 */
const ACTIVITY_TTL_MS = 5_000;
const AFFINITY_TTL_MS = 30_000;
const KEPT_TOTALS = 100_000;
const KEPT_AFFINITIES = 20_000;

interface Ranked extends TimelineEntry {
  score: Score;
}

interface Snapshot {
  id: string;
  entries: Ranked[];
  /** Where the chronological feed goes on once the ranking is read through; none when nothing is older. */
  after: string | null;
  at: number;
}

/** A post of a ranked page, with the terms of its score when `explain` was asked. */
export type RankedPost = PostView & { rank?: Score };

export interface RankedFeedDeps {
  /** The reader's newest visible posts, not hydrated (Feed.visibleEntries). */
  candidates: (readerId: string, max: number) => Promise<{ entries: TimelineEntry[]; more: boolean }>;
  /** A chronological cursor after a post (Feed.cursorBefore). */
  cursorBefore: (postId: string) => string;
  /** The reader's views of posts, in order, skipping those gone. */
  hydrate: (readerId: string, entries: readonly TimelineEntry[]) => Promise<PostView[]>;
  activity: (postIds: readonly string[]) => Promise<Map<string, ActivityTotals>>;
  affinity: (readerId: string) => Promise<Map<string, number>>;
  now?: () => number;
}

/**
 * `GET /api/feed?order=ranked`: the reader's newest 100 visible posts scored (lib/ranking/score.ts) and ordered
 * once, that ranking kept on the reader's owner node for ten minutes, and each page read from it, so scores
 * that move meanwhile never repeat or skip a post between pages. A cursor names its ranking; one whose ranking is
 * gone (ten minutes, a newer first page of the same reader, or the reader moved to another node) is a 400
 * CURSOR_EXPIRED: read from the top again. Past
 * the ranking, the feed goes on chronologically with the older posts (its cursor is the chronological feed's).
 */
export class RankedFeed {
  /** By reader. */
  private readonly snapshots = new LruMap<string, Snapshot>(KEPT_SNAPSHOTS);
  private readonly terms = new LruMap<string, { value: PostTerms; at: number }>(KEPT_TOTALS);
  private readonly affinities = new LruMap<string, { value: Map<string, number>; at: number }>(
    KEPT_AFFINITIES,
  );
  private readonly now: () => number;

  constructor(private readonly deps: RankedFeedDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** `cursor` is one this feed issued (`<ranking>:<offset>`); the chronological continuation is not read here. */
  async read(
    readerId: string,
    page: { limit: number; cursor?: string; explain: boolean },
  ): Promise<Page<RankedPost>> {
    let snapshot: Snapshot;
    let offset = 0;
    if (page.cursor === undefined) {
      snapshot = await this.rank(readerId);
      this.snapshots.set(readerId, snapshot);
    } else {
      const [id = "", at = ""] = page.cursor.split(":");
      const kept = this.snapshots.get(readerId);
      if (kept === undefined || kept.id !== id || this.now() - kept.at > SNAPSHOT_TTL_MS) {
        throw new BadRequestError(
          "CURSOR_EXPIRED",
          "this ranking is no longer kept: read the ranked feed again from the top",
        );
      }
      snapshot = kept;
      offset = Number(at);
    }
    const items: RankedPost[] = [];
    let next = offset;
    // Hydrate only what the page shows; a post gone, or whose media are not ready, gives its place to the next.
    while (items.length < page.limit && next < snapshot.entries.length) {
      const slice = snapshot.entries.slice(next, next + page.limit - items.length);
      next += slice.length;
      const views = await this.deps.hydrate(readerId, slice);
      const scoreOf = new Map(slice.map((entry) => [entry.postId, entry.score]));
      for (const view of views) {
        const ready = view.author.id === readerId || view.media.every((m) => m.status === "ready");
        if (!ready) continue;
        const score = scoreOf.get(view.id);
        items.push(page.explain && score !== undefined ? { ...view, rank: score } : view);
      }
    }
    const nextCursor =
      next < snapshot.entries.length
        ? `${snapshot.id}:${next}`
        : snapshot.after === null
          ? null
          : snapshot.after;
    return { items, nextCursor };
  }

  private async rank(readerId: string): Promise<Snapshot> {
    const now = this.now();
    const { entries, more } = await this.deps.candidates(readerId, RANKED_CANDIDATES);
    const [terms, affinity] = await Promise.all([
      this.postTermsOf(
        entries.map((e) => e.postId),
        now,
      ),
      this.affinityOf(readerId, now),
    ]);
    const ranked = entries.map((entry): Ranked => {
      const own = terms.get(entry.postId) ?? { recency: 0, engagement: 0 };
      return { ...entry, score: combine(own, affinity.get(entry.authorId) ?? 0) };
    });
    // Highest first; equal scores newest first, so the order is total and the same every time.
    ranked.sort((a, b) => b.score.total - a.score.total || compareIds(b.postId, a.postId));
    const oldest = entries[entries.length - 1];
    return {
      id: randomUUID(),
      entries: ranked,
      after: more && oldest ? this.deps.cursorBefore(oldest.postId) : null,
      at: now,
    };
  }

  /** Each post's own terms, reused for ACTIVITY_TTL_MS: the readers of one author share its posts' scores. */
  private async postTermsOf(postIds: readonly string[], now: number): Promise<Map<string, PostTerms>> {
    const found = new Map<string, PostTerms>();
    const missing: string[] = [];
    for (const postId of postIds) {
      const kept = this.terms.get(postId);
      if (kept !== undefined && now - kept.at < ACTIVITY_TTL_MS) found.set(postId, kept.value);
      else missing.push(postId);
    }
    if (missing.length > 0) {
      for (const [postId, totals] of await this.deps.activity(missing)) {
        const value = postTerms({ postId, ...totals }, now);
        found.set(postId, value);
        this.terms.set(postId, { value, at: now });
      }
    }
    return found;
  }

  private async affinityOf(readerId: string, now: number): Promise<Map<string, number>> {
    const kept = this.affinities.get(readerId);
    if (kept !== undefined && now - kept.at < AFFINITY_TTL_MS) return kept.value;
    const value = await this.deps.affinity(readerId);
    this.affinities.set(readerId, { value, at: now });
    return value;
  }
}
