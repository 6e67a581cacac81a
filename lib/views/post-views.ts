import { LruMap } from "../concurrency/lru-map";
import type { WideRowStore } from "../store/store";
import { HyperLogLog } from "./hyperloglog";
import { postActivityTotals, postHours, postViewCounts, postViewerSketches } from "./tables";
import type { ViewKind } from "./params";

/** Viewer-post-day triples a node remembers for deduplication; past it the least recently seen count again. */
const REMEMBERED_VIEWS = 500_000;
/** Posts whose viewer sketch a node keeps (2 KB each); one evicted is read back before it is written again. */
const KEPT_SKETCHES = 10_000;
export const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface Sums {
  views: number;
  plays: number;
  follower_views: number;
}

interface Pending extends Sums {
  /** By hour since the epoch. */
  hours: Map<number, Sums>;
  sketchChanged: boolean;
}

interface Sketch {
  hll: HyperLogLog;
  /** Whether what this writer stored before was merged in (after a restart of the sketch, or an eviction). */
  loaded: boolean;
}

export interface PostViewsDeps {
  store: WideRowStore;
  /** The author of each post id that exists (lib/posts); the others are dropped. */
  authorsOf: (postIds: readonly string[]) => Promise<{ postId: string; authorId: string }[]>;
  /** Whether the viewer follows the author, for the author's reach among followers (lib/graph). */
  follows: (viewerId: string, authorId: string) => Promise<boolean>;
  /** Names this node process's sketch rows: unique per process, so none overwrites another's. */
  writer: string;
  now?: () => number;
}

export interface FlushOutcome {
  posts: number;
  /** Store writes made: a few per post (its total, its hour, its sketch), whatever the number of views. */
  writes: number;
  views: number;
}

/**
 * Views and plays counted in memory and written as sums (seed 003's read service): each node adds up what its
 * viewers report and a flush every few seconds writes one increment per post and hour, so a post seen ten thousand
 * times a second costs each node three writes per flush. A node that crashes loses what it counted since its last
 * flush (at most one interval); a node that stops flushes first.
 *
 * Deduplication (once per viewer, post and UTC day) is kept where the viewer's reports go: the gateway routes
 * them by the caller (Owner strategy), so one node sees all of a viewer's reports while the ring stands. A view
 * repeated after that node restarted, or after the ring moved the viewer, counts again, at most once per move.
 * Distinct viewers are sketched (HyperLogLog), not listed.
 */
export class PostViews {
  private readonly now: () => number;
  private readonly seen = new LruMap<string, true>(REMEMBERED_VIEWS);
  private readonly sketches = new LruMap<string, Sketch>(KEPT_SKETCHES);
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
    const entries = (await this.deps.authorsOf(fresh)).filter((entry) => entry.authorId !== viewerId);
    const following = await Promise.all(entries.map((e) => this.deps.follows(viewerId, e.authorId)));
    let counted = 0;
    entries.forEach(({ postId }, i) => {
      const key = seenKey(day, kind, viewerId, postId);
      if (this.seen.has(key)) return; // a report racing this one
      this.seen.set(key, true);
      this.add(postId, hour, kind, following[i] === true, viewerId);
      counted++;
    });
    return counted;
  }

  /** Writes the sums counted since the last flush. One flush at a time; a failed one keeps its sums for the next. */
  flush(): Promise<FlushOutcome> {
    this.flushing ??= this.writePending().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /**
   * Drops everything counted of a post that is gone for good (its author's erasure): what this node has not
   * flushed yet, its sketch, and its rows. Another node's unflushed sums may write a count row back for a moment;
   * those name only the post, which nothing lists any more.
   */
  async forget(postId: string): Promise<void> {
    this.pending.delete(postId);
    this.sketches.delete(postId);
    const { store } = this.deps;
    await Promise.all([
      store.delete(postViewCounts, { post_id: postId }),
      store.deletePartition(postHours, { post_id: postId }),
      store.deletePartition(postViewerSketches, { post_id: postId }),
      store.delete(postActivityTotals, { post_id: postId }),
    ]);
  }

  /** Views counted and not flushed yet (for metrics and tests). */
  get unflushed(): number {
    let sum = 0;
    for (const p of this.pending.values()) sum += p.views + p.plays;
    return sum;
  }

  private add(postId: string, hour: number, kind: ViewKind, follower: boolean, viewerId: string): void {
    let sums = this.pending.get(postId);
    if (sums === undefined) {
      sums = { ...noSums(), hours: new Map(), sketchChanged: false };
      this.pending.set(postId, sums);
    }
    let inHour = sums.hours.get(hour);
    if (inHour === undefined) {
      inHour = noSums();
      sums.hours.set(hour, inHour);
    }
    for (const target of [sums, inHour]) {
      if (kind === "play") target.plays++;
      else {
        target.views++;
        if (follower) target.follower_views++;
      }
    }
    if (kind === "view") {
      let sketch = this.sketches.get(postId);
      if (sketch === undefined) {
        sketch = { hll: new HyperLogLog(), loaded: false };
        this.sketches.set(postId, sketch);
      }
      if (sketch.hll.add(viewerId)) sums.sketchChanged = true;
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
          // Each part is zeroed once written: a failure part-way retries only what was not.
          if (sums.views + sums.plays > 0) {
            const { views, plays, follower_views } = sums;
            await this.deps.store.increment(
              postViewCounts,
              { post_id: postId },
              { views, plays, follower_views },
            );
            outcome.writes++;
            outcome.views += views + plays;
            Object.assign(sums, noSums());
          }
          for (const [hour, inHour] of sums.hours) {
            const { views, plays, follower_views } = inHour;
            await this.deps.store.increment(
              postHours,
              { post_id: postId, hour },
              { views, plays, follower_views },
            );
            outcome.writes++;
            sums.hours.delete(hour);
          }
          if (sums.sketchChanged) {
            await this.writeSketch(postId);
            outcome.writes++;
            sums.sketchChanged = false;
          }
          outcome.posts++;
        } catch {
          failed.push([postId, sums]);
        }
      }),
    );
    for (const [postId, sums] of failed) this.restore(postId, sums);
    return outcome;
  }

  private async writeSketch(postId: string): Promise<void> {
    const sketch = this.sketches.get(postId);
    if (sketch === undefined) return;
    if (!sketch.loaded) {
      // What this process stored of the post before its sketch left memory: merged, never overwritten.
      const key = { post_id: postId, writer: this.deps.writer };
      const stored = await this.deps.store.get(postViewerSketches, key);
      if (stored?.sketch !== undefined) sketch.hll.merge(HyperLogLog.fromText(stored.sketch));
      sketch.loaded = true;
    }
    await this.deps.store.put(postViewerSketches, {
      post_id: postId,
      writer: this.deps.writer,
      sketch: sketch.hll.toText(),
    });
  }

  /** Sums that could not be written go back, merged with what arrived meanwhile. */
  private restore(postId: string, sums: Pending): void {
    const later = this.pending.get(postId);
    if (later === undefined) {
      this.pending.set(postId, sums);
      return;
    }
    addSums(later, sums);
    later.sketchChanged ||= sums.sketchChanged;
    for (const [hour, inHour] of sums.hours) {
      const merged = later.hours.get(hour) ?? noSums();
      addSums(merged, inHour);
      later.hours.set(hour, merged);
    }
  }
}

function noSums(): Sums {
  return { views: 0, plays: 0, follower_views: 0 };
}

function addSums(into: Sums, from: Sums): void {
  into.views += from.views;
  into.plays += from.plays;
  into.follower_views += from.follower_views;
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
