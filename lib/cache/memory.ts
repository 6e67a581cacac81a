import type { Cache, CacheKey } from "./cache";
import { LruMap } from "../concurrency/lru-map";
import { estimateBytes } from "./budget";

export interface MemoryCacheOptions {
  maxEntries?: number;
  /** A bound on the entries' estimated size (lib/cache/budget.ts), besides their number. */
  maxBytes?: number;
  now?: () => number;
}

/** One process's cache: an LRU bounded in entries (and bytes), each with its own expiry. */
export class MemoryCache implements Cache {
  private readonly entries: LruMap<CacheKey, { value: unknown; expiresAt: number }>;
  private readonly now: () => number;

  constructor(options: MemoryCacheOptions = {}) {
    this.now = options.now ?? Date.now;
    this.entries = new LruMap(
      options.maxEntries ?? 50_000,
      options.maxBytes === undefined
        ? undefined
        : { max: options.maxBytes, sizeOf: (entry) => 16 + estimateBytes(entry.value) },
    );
  }

  /** The estimated size of what it holds (0 without a byte bound). */
  get sizeInBytes(): number {
    return this.entries.sizeInBytes;
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
