import { LruMap } from "./lru-map";

interface Kept<S> {
  changes: number;
  until: number;
  state: S;
}

/**
 * Per-key state (what a node learnt of one user) kept while a change count the caller reads for that key stays the
 * same: the count is bumped by every change before it answers, so state learnt under the current count is
 * current. `maxAgeMs` bounds a change whose bump failed (the store went down between its writes and the bump).
 * Used for a reader's relations (lib/timeline/viewer-relations.ts) and their likes and saves
 * (lib/interactions/engagement.ts).
 */
export class KeptWhileUnchanged<S> {
  private readonly kept: LruMap<string, Kept<S>>;

  constructor(
    capacity: number,
    private readonly maxAgeMs: number,
    private readonly fresh: () => S,
    private readonly now: () => number = Date.now,
  ) {
    this.kept = new LruMap(capacity);
  }

  /** The state kept for `key` under `changes`, or a fresh one kept from now on. */
  of(key: string, changes: number): S {
    const now = this.now();
    const kept = this.kept.get(key);
    if (kept !== undefined && kept.changes === changes && kept.until > now) return kept.state;
    const state = this.fresh();
    this.kept.set(key, { changes, until: now + this.maxAgeMs, state });
    return state;
  }

  clear(): void {
    this.kept.clear();
  }

  get size(): number {
    return this.kept.size;
  }
}

/** Sets an entry of a map bounded to `max` entries: past it the map starts again (what it held is read again). */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (map.size >= max && !map.has(key)) map.clear();
  map.set(key, value);
}
