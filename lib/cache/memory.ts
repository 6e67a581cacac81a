import type { Cache, CacheKey } from "./cache";
import { LruMap } from "../concurrency/lru-map";

/** One process's cache: an LRU bounded in entries, each with its own expiry. */
export class MemoryCache implements Cache {
  private readonly entries: LruMap<CacheKey, { value: unknown; expiresAt: number }>;

  constructor(
    maxEntries = 50_000,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new LruMap(maxEntries);
  }

  getMany<T>(keys: readonly CacheKey[]): Promise<(T | undefined)[]> {
    const now = this.now();
    return Promise.resolve(
      keys.map((key) => {
        const entry = this.entries.get(key);
        if (entry === undefined) return undefined;
        if (entry.expiresAt <= now) {
          this.entries.delete(key);
          return undefined;
        }
        return entry.value as T;
      }),
    );
  }

  set(key: CacheKey, value: unknown, ttlMs: number): Promise<void> {
    const now = this.now();
    this.entries.set(key, { value, expiresAt: now + ttlMs });
    // Expired entries nobody reads again would stay until maxEntries (hours of media views, tens of MiB):
    // drop them from the least recently used end, up to the first live one.
    for (const [oldKey, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.entries.delete(oldKey);
    }
    return Promise.resolve();
  }

  delete(key: CacheKey): Promise<void> {
    this.entries.delete(key);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }
}
