import { KeyedLock } from "./keyed-lock";
import { LruMap } from "./lru-map";

/** What the metrics read of a node's actors of one kind (lib/metrics/actor-metrics.ts). */
export interface ActorStats {
  /** Users whose state is held in memory now. */
  readonly size: number;
  /** Users' states rebuilt from the store so far. */
  readonly rebuilds: number;
  /** Times every state was dropped (forgetAll) so far. */
  readonly resets: number;
}

/**
 * The memory of per-user actors on one node (timelines, inboxes): for each user this node owns, what it keeps
 * in memory (a bounded LRU across users), and one mailbox per user through which every write and rebuild of that
 * user passes, one at a time. Memory is only a cache of the store: a node that becomes the owner of a user
 * rebuilds it from the rows.
 *
 * A rebuild runs in the mailbox because one that read the rows while a write was landing would otherwise put
 * back a memory without that write, for good.
 */
export class ActorMemory<S> implements ActorStats {
  private readonly hot: LruMap<string, S>;
  private readonly mailbox = new KeyedLock();
  /** Bumped by forgetAll, so that a rebuild that started before it cannot bring stale state back. */
  private generation = 0;
  /** Until then memory is not kept: see forgetAll. */
  private distrustUntil = 0;
  private rebuilt = 0;
  private forgotten = 0;

  constructor(
    maxUsers: number,
    private readonly now: () => number = Date.now,
    /** Longer than it takes every node to see a node join or leave (Moleculer's heartbeat timeout, 4 s, with margin). */
    private readonly settleMs = 30_000,
  ) {
    this.hot = new LruMap(maxUsers);
  }

  /** Runs `task` in the user's mailbox, after everything queued before it. Never call `load` from `task`. */
  run<T>(userId: string, task: () => Promise<T>): Promise<T> {
    return this.mailbox.run(userId, task);
  }

  /** The user's memory if this node holds it; for writes already running in the mailbox. */
  peek(userId: string): S | undefined {
    return this.hot.peek(userId);
  }

  /** Replaces the user's memory; for writes already running in the mailbox. */
  remember(userId: string, state: S): void {
    this.hot.set(userId, state);
  }

  /** The user's memory, rebuilt with `build` in the mailbox when this node does not hold it. */
  async load(userId: string, build: () => Promise<S>): Promise<S> {
    const cached = this.hot.get(userId);
    if (cached !== undefined) return cached;
    return this.mailbox.run(userId, async () => {
      // Another reader may have rebuilt it while this one waited in the mailbox.
      const ready = this.hot.peek(userId);
      if (ready !== undefined) return ready;
      const generation = this.generation;
      this.rebuilt++;
      const state = await build();
      if (generation === this.generation && this.now() >= this.distrustUntil) this.remember(userId, state);
      return state;
    });
  }

  /** Drops one user's memory, after what is queued in their mailbox: their rows changed behind it. */
  forget(userId: string): Promise<void> {
    return this.mailbox.run(userId, () => {
      this.hot.delete(userId);
      return Promise.resolve();
    });
  }

  /**
   * Ownership moved: what this node remembers may be stale. For a while it keeps nothing either, and every read
   * rebuilds from the store: callers learn of the new ring at different moments, so some may still write to a
   * user through the old owner, and a memory built now would miss those writes for good.
   */
  forgetAll(): void {
    this.generation++;
    this.forgotten++;
    this.hot.clear();
    this.distrustUntil = this.now() + this.settleMs;
  }

  get size(): number {
    return this.hot.size;
  }

  get rebuilds(): number {
    return this.rebuilt;
  }

  get resets(): number {
    return this.forgotten;
  }
}
