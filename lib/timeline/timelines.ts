import { ActorMemory, type ActorStats } from "../concurrency/actor-memory";
import { compareIds } from "../ids";
import type { WideRowStore } from "../store/store";
import { mergeNewestFirst } from "./merge";
import { homeTimeline, timeline } from "./tables";

export interface TimelineEntry {
  postId: string;
  authorId: string;
}

interface Hot {
  /** The newest entries, newest first. */
  entries: TimelineEntry[];
  /** True when `entries` holds the whole stored timeline (it had fewer rows than the window). */
  whole: boolean;
}

/**
 * The timeline actors' state on one node: for each user this node owns, the newest entries in memory (a bounded
 * LRU across users), applied in order and written through to the user's `timeline_b` partitions (one per month of
 * posts). Memory is only a cache of the store: a node that becomes the owner of a user (a node joined, left or
 * died) rebuilds it from the rows.
 * Writes and rebuilds of one user go through that user's mailbox (ActorMemory), one at a time.
 */
export class Timelines {
  private readonly memory: ActorMemory<Hot>;

  constructor(
    private readonly store: WideRowStore,
    private readonly options: { window: number; maxUsers: number } = { window: 200, maxUsers: 20_000 },
    now: () => number = Date.now,
    /** Longer than it takes every node to see a node join or leave (Moleculer's heartbeat timeout, 4 s, with margin). */
    settleMs = 30_000,
  ) {
    this.memory = new ActorMemory(options.maxUsers, now, settleMs);
  }

  /** Adds entries (idempotent: an entry already there stays once). */
  async push(userId: string, entries: readonly TimelineEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.memory.run(userId, () => this.applyPush(userId, entries));
  }

  private async applyPush(userId: string, entries: readonly TimelineEntry[]): Promise<void> {
    // One batch per bucket (a batch is one partition): a fan-out push is one, a backfill of old posts a few.
    for (const group of byBucket(entries)) {
      const partition = await homeTimeline.writePartition(this.store, userId, group[0].postId);
      await this.store.batch(
        timeline,
        partition,
        group.map((e) => ({
          op: "put" as const,
          row: { ...partition, post_id: e.postId, author_id: e.authorId },
        })),
      );
    }
    const hot = this.memory.peek(userId);
    if (hot === undefined) return;
    // The new entries sorted (checking their ids), then merged into the window in one pass: a fan-out to 10,000
    // warm followers would otherwise sort 10,000 windows, checking each id at every comparison.
    const fresh = [...entries]
      .sort((a, b) => compareIds(b.postId, a.postId))
      .filter((e, i, sorted) => e.postId !== sorted[i - 1]?.postId);
    const { window } = this.options;
    const merged = mergeNewestFirst([hot.entries, fresh], window + 1);
    const trimmed = merged.length > window;
    this.memory.remember(userId, {
      entries: trimmed ? merged.slice(0, window) : merged,
      whole: hot.whole && !trimmed,
    });
  }

  /**
   * Removes entries (an unfollow's clean-up); reads filter them at once anyway. `confirm`, when given, runs in the
   * user's mailbox and answers which of them are still to go: a push queued behind a decision taken earlier (a
   * follow again, and its backfill) must not be undone by it.
   */
  async remove(
    userId: string,
    postIds: readonly string[],
    confirm?: (postIds: readonly string[]) => Promise<readonly string[]>,
  ): Promise<void> {
    if (postIds.length === 0) return;
    await this.memory.run(userId, async () => {
      const confirmed = confirm ? await confirm(postIds) : postIds;
      if (confirmed.length > 0) await this.applyRemove(userId, confirmed);
    });
  }

  private async applyRemove(userId: string, postIds: readonly string[]): Promise<void> {
    for (const group of byBucket(postIds.map((postId) => ({ postId })))) {
      const partition = homeTimeline.partitionOf(userId, group[0].postId);
      await this.store.batch(
        timeline,
        partition,
        group.map((e) => ({ op: "delete" as const, key: { ...partition, post_id: e.postId } })),
      );
    }
    const hot = this.memory.peek(userId);
    if (hot) {
      const gone = new Set(postIds);
      this.memory.remember(userId, {
        entries: hot.entries.filter((e) => !gone.has(e.postId)),
        whole: hot.whole,
      });
    }
  }

  /** Up to `limit` entries older than `before` (or the newest), newest first. */
  async page(userId: string, options: { before?: string; limit: number }): Promise<TimelineEntry[]> {
    const hot = await this.memory.load(userId, () => this.readWindow(userId));
    // Newest first: the entries older than `before` are the window's tail from the first of them on.
    const { before } = options;
    const start = before === undefined ? 0 : hot.entries.findIndex((e) => compareIds(e.postId, before) < 0);
    const fromMemory = start < 0 ? [] : hot.entries.slice(start, start + options.limit);
    if (fromMemory.length >= options.limit || hot.whole) return fromMemory;
    // Past the window kept in memory: read the rows themselves.
    const rows = await homeTimeline.first(this.store, userId, {
      ...(before !== undefined && { after: [before] as const }),
      limit: options.limit,
    });
    return rows.map((r) => ({ postId: r.post_id, authorId: r.author_id ?? "" }));
  }

  /** Ownership moved: what this node remembers may be stale (see ActorMemory.forgetAll). */
  forgetAll(): void {
    this.memory.forgetAll();
  }

  get size(): number {
    return this.memory.size;
  }

  /** The actors' counts, for the metrics. */
  get stats(): ActorStats {
    return this.memory;
  }

  private async readWindow(userId: string): Promise<Hot> {
    const slice = await homeTimeline.walk(this.store, userId, { limit: this.options.window });
    return {
      entries: slice.rows.map((r) => ({ postId: r.post_id, authorId: r.author_id ?? "" })),
      whole: !slice.more,
    };
  }
}

/** Entries grouped by the timeline bucket of their post, each group non-empty. */
function byBucket<E extends { postId: string }>(entries: readonly E[]): [E, ...E[]][] {
  const groups = new Map<number, [E, ...E[]]>();
  for (const entry of entries) {
    const bucket = homeTimeline.bucketOf(entry.postId);
    const group = groups.get(bucket);
    if (group === undefined) groups.set(bucket, [entry]);
    else group.push(entry);
  }
  return [...groups.values()];
}
