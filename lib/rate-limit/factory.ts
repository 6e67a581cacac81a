import type { RateLimitMetrics } from "../metrics/rate-limit-metrics";
import type { RedisConnection } from "../redis/connection";
import { MemoryRateLimiter } from "./memory";
import { MeteredRateLimiter } from "./metered";
import type { RateLimiter } from "./rate-limiter";
import { RedisRateLimiter } from "./redis";

/**
 * The node's rate limiter: shared by every gateway node through Redis when the node has a Redis connection
 * (`REDIS_URL`, cluster mode), else in this process's memory. With `metrics`, refusals are counted, and so is
 * the time the Redis limiter spends counting in this node's memory instead.
 */
export function createRateLimiter(
  redis: RedisConnection | undefined,
  now: () => number,
  /** The Moleculer namespace: clusters sharing one Redis under different namespaces count apart. */
  namespace = "",
  metrics?: RateLimitMetrics,
): RateLimiter {
  const limiter =
    redis === undefined
      ? new MemoryRateLimiter(now)
      : new RedisRateLimiter(redis, { now, prefix: namespace === "" ? "mosaic:" : `mosaic:${namespace}:` });
  if (metrics === undefined) return limiter;
  // Without Redis, per-node counts are the design (embedded mode), not a fallback: the gauge stays 0.
  if (limiter instanceof RedisRateLimiter) metrics.watchFallback(() => limiter.fallingBack);
  return new MeteredRateLimiter(limiter, metrics);
}
