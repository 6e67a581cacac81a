import { LruMap } from "./lru-map";

/** A value loaded for a key, kept for a while. */
export interface KeptLoad<V, M> {
  readonly at: number;
  readonly value: Promise<V>;
  /** The value once loaded, for callers that need no promise for it. */
  loaded?: { value: V };
  /** What a caller derived from the value, kept with it and dropped with it. */
  memo?: M;
}

/**
 * Values loaded per key and shared by every caller for `ttlMs` (public profiles, which feed pages and search
 * answers show to many callers at once): one load per key at a time, the callers arriving meanwhile share it, and
 * a failed load is not kept. Used for feed authors (lib/timeline/author-views.ts) and people found by search
 * (lib/search/found-people.ts).
 */
export class KeptLoads<V, M = never> {
  private readonly kept: LruMap<string, KeptLoad<V, M>>;
  private readonly now: () => number;
  private readonly ttlMs: number;

  constructor(options: { ttlMs: number; max: number; now?: () => number }) {
    this.kept = new LruMap(options.max);
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
  }

  /** The entry for `key`: the kept one while younger than the time to live, else a new load. */
  of(key: string, load: () => Promise<V>): KeptLoad<V, M> {
    const now = this.now();
    const kept = this.kept.peek(key);
    if (kept !== undefined && now - kept.at <= this.ttlMs) return kept;
    const entry: KeptLoad<V, M> = { at: now, value: load() };
    this.kept.set(key, entry);
    entry.value.then(
      (value) => {
        entry.loaded = { value };
      },
      () => {
        if (this.kept.peek(key) === entry) this.kept.delete(key);
      },
    );
    return entry;
  }

  /** The next caller loads `key` again. */
  forget(key: string): void {
    this.kept.delete(key);
  }
}
