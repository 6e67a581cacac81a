/**
 * Fixed-window rate limits. The port is tiny so that the Redis adapter (cluster mode, shared by every
 * gateway node) is one round trip per hit.
 */
export interface RateLimiter {
  /** Counts one hit on `key` and answers whether it is within `limit` hits per `windowMs`. */
  hit(key: RateLimitKey, limit: number, windowMs: number): Promise<RateLimitVerdict>;
}

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** The per-user hourly quotas (in the spirit of Pixelfed's), each configured by `QUOTA_<NAME>_PER_HOUR`. */
export const QUOTA_NAMES = [
  "likes",
  "comments",
  "posts",
  "follows",
  "stories",
  "messages",
  "reports",
  "exports",
] as const;

export type QuotaName = (typeof QUOTA_NAMES)[number];

/** Every rate-limit key, in one place, so that no two limits share a counter by accident. */
export type RateLimitKey =
  | `rl:signup:ip:${string}`
  | `rl:login:ip:${string}`
  | `rl:recovery:ip:${string}`
  | `rl:write:user:${string}`
  | `rl:quota:${QuotaName}:user:${string}`;

export const rateLimitKeys = {
  signup: (ip: string): RateLimitKey => `rl:signup:ip:${ip}`,
  login: (ip: string): RateLimitKey => `rl:login:ip:${ip}`,
  recovery: (ip: string): RateLimitKey => `rl:recovery:ip:${ip}`,
  write: (userId: string): RateLimitKey => `rl:write:user:${userId}`,
  quota: (name: QuotaName, userId: string): RateLimitKey => `rl:quota:${name}:user:${userId}`,
} as const;

/** Every limit by name, for the metrics' `limit` label: the key's kind, never the IP or user it counts. */
export const RATE_LIMIT_NAMES = [
  "signup",
  "login",
  "recovery",
  "write",
  ...QUOTA_NAMES.map((name) => `quota_${name}` as const),
] as const;

export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];

/** The limit a key counts for (`rl:quota:likes:user:42` is `quota_likes`). */
export function limitNameOf(key: RateLimitKey): RateLimitName {
  const [, kind, quota] = key.split(":");
  const name = kind === "quota" ? `quota_${quota}` : kind;
  const known = RATE_LIMIT_NAMES.find((candidate) => candidate === name);
  if (known === undefined) throw new Error(`no rate limit is named by ${key}`);
  return known;
}
