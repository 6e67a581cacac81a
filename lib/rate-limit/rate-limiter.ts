/**
 * Fixed-window rate limits. The port is tiny so that the Redis adapter (cluster mode, shared by every
 * gateway node) is one INCR and one PEXPIRE per hit.
 */
export interface RateLimiter {
  /** Counts one hit on `key` and answers whether it is within `limit` hits per `windowMs`. */
  hit(key: RateLimitKey, limit: number, windowMs: number): Promise<RateLimitVerdict>;
}

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Every rate-limit key, in one place, so that no two limits share a counter by accident. */
export type RateLimitKey = `rl:signup:ip:${string}` | `rl:login:ip:${string}` | `rl:write:user:${string}`;

export const rateLimitKeys = {
  signup: (ip: string): RateLimitKey => `rl:signup:ip:${ip}`,
  login: (ip: string): RateLimitKey => `rl:login:ip:${ip}`,
  write: (userId: string): RateLimitKey => `rl:write:user:${userId}`,
} as const;
