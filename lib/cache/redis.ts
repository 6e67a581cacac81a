import Redis from "ioredis";
import type { Cache, CacheKey } from "./cache";

/**
 * The cluster's shared cache on Redis (ioredis). A cache that does not answer is a miss, never an error: the
 * store remains the truth, so a Redis outage costs speed, not availability.
 */
export class RedisCache implements Cache {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix = "mosaic:",
  ) {
    this.redis = new Redis(url, {
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      // Commands wait for the connection (bounded by commandTimeout) instead of failing while it opens.
      enableOfflineQueue: true,
      connectTimeout: 2_000,
      commandTimeout: 500,
    });
    // Reconnection is ioredis's job; a failed command already falls back to the store.
    this.redis.on("error", () => undefined);
  }

  async getMany<T>(keys: readonly CacheKey[]): Promise<(T | undefined)[]> {
    if (keys.length === 0) return [];
    try {
      const values = await this.redis.mget(keys.map((k) => this.prefix + k));
      return values.map((v) => (v === null ? undefined : (JSON.parse(v) as T)));
    } catch {
      return keys.map(() => undefined);
    }
  }

  async set(key: CacheKey, value: unknown, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(value), "PX", ttlMs).catch(() => undefined);
  }

  async delete(key: CacheKey): Promise<void> {
    await this.redis.del(this.prefix + key).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    return Promise.resolve();
  }
}
