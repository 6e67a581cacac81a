import type { Config } from "../../config";
import { MemoryRateLimiter } from "./memory";
import type { RateLimiter } from "./rate-limiter";
import { RedisRateLimiter } from "./redis";

/**
 * The node's rate limiter: shared by every gateway node through Redis when `REDIS_URL` is set (cluster mode),
 * else in this process's memory. `warn` hears about Redis outages (default: a Node process warning).
 */
export function createRateLimiter(
  config: Pick<Config, "redisUrl">,
  now: () => number,
  options: { warn?: (message: string) => void } = {},
): { limiter: RateLimiter; close(): Promise<void> } {
  if (config.redisUrl === undefined) {
    return { limiter: new MemoryRateLimiter(now), close: () => Promise.resolve() };
  }
  const limiter = new RedisRateLimiter(config.redisUrl, { now, ...options });
  return { limiter, close: () => limiter.close() };
}
