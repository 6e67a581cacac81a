import type { RedisConnection } from "../redis/connection";
import { MemoryRateLimiter } from "./memory";
import type { RateLimiter } from "./rate-limiter";
import { RedisRateLimiter } from "./redis";

/**
 * The node's rate limiter: shared by every gateway node through Redis when the node has a Redis connection
 * (`REDIS_URL`, cluster mode), else in this process's memory.
 */
export function createRateLimiter(
  redis: RedisConnection | undefined,
  now: () => number,
  /** The Moleculer namespace: clusters sharing one Redis under different namespaces count apart. */
  namespace = "",
): RateLimiter {
  if (redis === undefined) return new MemoryRateLimiter(now);
  return new RedisRateLimiter(redis, { now, prefix: namespace === "" ? "mosaic:" : `mosaic:${namespace}:` });
}
