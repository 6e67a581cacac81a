import type { RedisConnection } from "../redis/connection";
import type { Cache, CacheKey } from "./cache";

/**
 * The cluster's shared cache on Redis. A cache that does not answer is a miss, never an error: the store remains
 * the truth, so a Redis outage costs speed, not availability. While the connection's breaker is open, reads miss
 * and writes are skipped without waiting.
 */
export class RedisCache implements Cache {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix = "mosaic:",
  ) {}

  async getMany<T>(keys: readonly CacheKey[]): Promise<(T | undefined)[]> {
    if (keys.length === 0) return [];
    const misses = () => keys.map((): T | undefined => undefined);
    const values = await this.redis.run(
      (client) => client.mget(keys.map((k) => this.prefix + k)),
      () => null,
    );
    if (values === null) return misses();
    return values.map((v) => (v === null ? undefined : (JSON.parse(v) as T)));
  }

  async set(key: CacheKey, value: unknown, ttlMs: number): Promise<void> {
    await this.redis.run(
      (client) => client.set(this.prefix + key, JSON.stringify(value), "PX", ttlMs),
      () => undefined,
    );
  }

  /**
   * Skipped while Redis is gone, so an entry may outlive its invalidation by up to its TTL: callers keep TTLs
   * short where that matters.
   */
  async delete(key: CacheKey): Promise<void> {
    await this.redis.run(
      (client) => client.del(this.prefix + key),
      () => undefined,
    );
  }

  /** The connection is the node's, closed with it. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
