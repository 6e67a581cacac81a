import { LruMap } from "../concurrency/lru-map";
import type { WideRowStore } from "../store/store";
import { postViewCounts, postViewHours } from "./tables";
import type { ViewKind } from "./params";

/** Viewer-post-day triples a node remembers for deduplication; past it the least recently seen count again. */
const REMEMBERED_VIEWS = 500_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface Pending {
  views: number;
  plays: number;
  /** By hour since the epoch. */
  hours: Map<number, { views: number; plays: number }>;
}

export interface PostViewsDeps {
  store: WideRowStore;
  /** The author of each post id that exists (lib/posts); the others are dropped. */
  authorsOf: (postIds: readonly string[]) => Promise<{ postId: string; authorId: string }[]>;
  now?: () => number;
}

export interface FlushOutcome {
  posts: number;
  /** Counter writes made: two per post (its total and its hour), whatever the number of views. */
  writes: number;
  views: number;
}

/**
 * Views and plays counted in memory and written as sums (seed 003's read service): each node adds up what its
 * viewers report and a flush every few seconds writes one increment per post and hour, so a post seen ten thousand
 * times a second costs each node two writes per flush. A node that crashes loses what it counted since its last
 * flush (at most one interval); a node that stops flushes first.
 *
 * Deduplication (once per viewer, post and UTC day) is kept where the viewer's reports go: the gateway routes
 * them by the caller (Owner strategy), so one node sees all of a viewer's reports while the ring stands. A view
 * repeated after that node restarted, or after the ring moved the viewer, counts again, at most once per move.
 */
export class PostViews {
  private readonly now: () => number;
  private readonly seen = new LruMap<string, true>(REMEMBERED_VIEWS);
  private pending = new Map<string, Pending>();
  private flushing: Promise<FlushOutcome> | undefined;

  constructor(private readonly deps: PostViewsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Counts what `viewerId` was shown (or played); answers how many counted. */
  async record(viewerId: string, postIds: readonly string[], kind: ViewKind): Promise<number> {
    const now = this.now();
    const day = Math.floor(now / DAY_MS);
    const hour = Math.floor(now / HOUR_MS);
    const fresh = [...new Set(postIds)].filter(
      (postId) => !this.seen.has(seenKey(day, kind, viewerId, postId)),
    );
    if (fresh.length === 0) return 0;
    const entries = await this.deps.authorsOf(fresh);
    let counted = 0;
    for (const { postId, authorId } of entries) {
      // An author looking at their own post is no view of it.
      if (authorId === viewerId) continue;
      const key = seenKey(day, kind, viewerId, postId);
      if (this.seen.has(key)) continue; // a report racing this one
      this.seen.set(key, true);
      this.add(postId, hour, kind);
      counted++;
    }
    return counted;
  }

  /** Writes the sums counted since the last flush. One flush at a time; a failed one keeps its sums for the next. */
  flush(): Promise<FlushOutcome> {
    this.flushing ??= this.writePending().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Views counted and not flushed yet (for metrics and tests). */
  get unflushed(): number {
    let sum = 0;
    for (const p of this.pending.values()) sum += p.views + p.plays;
    return sum;
  }

  private add(postId: string, hour: number, kind: ViewKind): void {
    let sums = this.pending.get(postId);
    if (sums === undefined) {
      sums = { views: 0, plays: 0, hours: new Map() };
      this.pending.set(postId, sums);
    }
    let inHour = sums.hours.get(hour);
    if (inHour === undefined) {
      inHour = { views: 0, plays: 0 };
      sums.hours.set(hour, inHour);
    }
    if (kind === "view") {
      sums.views++;
      inHour.views++;
    } else {
      sums.plays++;
      inHour.plays++;
    }
  }

  private async writePending(): Promise<FlushOutcome> {
    const batch = this.pending;
    this.pending = new Map();
    const outcome: FlushOutcome = { posts: 0, writes: 0, views: 0 };
    const failed: [string, Pending][] = [];
    await Promise.all(
      [...batch].map(async ([postId, sums]) => {
        try {
          // The total first, then each hour: a failure part-way retries only what was not written.
          if (sums.views + sums.plays > 0) {
            const { views, plays } = sums;
            await this.deps.store.increment(postViewCounts, { post_id: postId }, { views, plays });
            outcome.writes++;
            outcome.views += sums.views + sums.plays;
            sums.views = 0;
            sums.plays = 0;
          }
          for (const [hour, inHour] of sums.hours) {
            const { views, plays } = inHour;
            await this.deps.store.increment(postViewHours, { post_id: postId, hour }, { views, plays });
            outcome.writes++;
            sums.hours.delete(hour);
          }
          outcome.posts++;
        } catch {
          failed.push([postId, sums]);
        }
      }),
    );
    // Sums that could not be written go back, merged with what arrived meanwhile.
    for (const [postId, sums] of failed) {
      const later = this.pending.get(postId);
      if (later === undefined) {
        this.pending.set(postId, sums);
        continue;
      }
      later.views += sums.views;
      later.plays += sums.plays;
      for (const [hour, inHour] of sums.hours) {
        const merged = later.hours.get(hour) ?? { views: 0, plays: 0 };
        merged.views += inHour.views;
        merged.plays += inHour.plays;
        later.hours.set(hour, merged);
      }
    }
    return outcome;
  }
}

/** Views and plays of posts, as the store has them (what the nodes flushed). */
export async function viewCountsOf(
  store: WideRowStore,
  postIds: readonly string[],
): Promise<Map<string, { views: number; plays: number }>> {
  const rows = await Promise.all(postIds.map((post_id) => store.get(postViewCounts, { post_id })));
  return new Map(postIds.map((id, i) => [id, { views: rows[i]?.views ?? 0, plays: rows[i]?.plays ?? 0 }]));
}

function seenKey(day: number, kind: ViewKind, viewerId: string, postId: string): string {
  return `${day}|${kind}|${viewerId}|${postId}`;
}
