import Redis from "ioredis";
import { MemoryRateLimiter } from "./memory";
import type { RateLimiter, RateLimitKey, RateLimitVerdict } from "./rate-limiter";

/**
 * One atomic round trip per hit. The expiry is set when the window opens and never pushed back, so the window is
 * fixed; a key found without one (written by hand, or by an older version) gets it too rather than counting
 * forever. Redis's clock, not the nodes', decides when a window ends, so nodes with skewed clocks still agree.
 */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

const HIT_COMMAND = "mosaicRateLimitHit";

/** ioredis adds a defined script as a method it cannot type; the reply is checked at run time instead. */
interface WithHitCommand {
  [HIT_COMMAND](key: string, windowMs: number): Promise<unknown>;
}

export interface RedisRateLimiterOptions {
  /** Put before every key, so that test runs (or two deployments on one Redis) never share a count. */
  prefix?: string;
  /** Longest a hit waits for Redis before it is answered without it. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** After a failure, hits skip Redis for this long, so an outage costs one timeout per period, not per request. */
  outageBackoffMs?: number;
  /** The clock of the per-node fallback counts and of the backoff. */
  now?: () => number;
  /** Told once when Redis stops answering and once when it answers again. */
  warn?: (message: string) => void;
}

/**
 * Limits shared by every gateway node of a cluster through one Redis (ioredis).
 *
 * When Redis does not answer, limits fall back to this node's own memory instead of failing the request: a rate
 * limit protects capacity and slows abuse, it is not the truth of anything, so a Redis outage must not turn every
 * write into a 500 (failing closed) nor lift the login and sign-up limits entirely (failing fully open). Per-node
 * counts are looser by the number of gateway nodes, which is an acceptable price for the duration of an outage.
 * Every answer comes within `commandTimeoutMs`.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly hitCommand: WithHitCommand;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly outageBackoffMs: number;
  private readonly warn: (message: string) => void;
  private fallback: MemoryRateLimiter;
  private skipRedisUntil = 0;
  private down = false;

  constructor(url: string, options: RedisRateLimiterOptions = {}) {
    this.prefix = options.prefix ?? "mosaic:";
    this.now = options.now ?? Date.now;
    this.outageBackoffMs = options.outageBackoffMs ?? 1_000;
    this.warn = options.warn ?? ((message) => process.emitWarning(message, { code: "MOSAIC_RATE_LIMIT" }));
    this.fallback = new MemoryRateLimiter(this.now);
    this.redis = new Redis(url, {
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      // Commands wait for the connection (bounded by commandTimeout) instead of failing while it opens.
      enableOfflineQueue: true,
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      commandTimeout: options.commandTimeoutMs ?? 500,
    });
    // Reconnection is ioredis's job; a failed hit is answered from the fallback and reported once by hit().
    this.redis.on("error", () => undefined);
    this.redis.defineCommand(HIT_COMMAND, { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.hitCommand = this.redis as unknown as WithHitCommand;
  }

  async hit(key: RateLimitKey, limit: number, windowMs: number): Promise<RateLimitVerdict> {
    if (this.now() < this.skipRedisUntil) return this.fallback.hit(key, limit, windowMs);
    let count: number;
    let ttlMs: number;
    try {
      [count, ttlMs] = parseReply(await this.hitCommand[HIT_COMMAND](this.prefix + key, Math.ceil(windowMs)));
    } catch (err) {
      this.skipRedisUntil = this.now() + this.outageBackoffMs;
      if (!this.down) {
        this.down = true;
        this.warn(`rate limits: Redis does not answer (${describe(err)}); counting per node until it does`);
      }
      return this.fallback.hit(key, limit, windowMs);
    }
    if (this.down) {
      this.down = false;
      // The outage's per-node counts must not linger into the next outage.
      this.fallback = new MemoryRateLimiter(this.now);
      this.warn("rate limits: Redis answers again; limits are shared by the cluster again");
    }
    if (count <= limit) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
  }

  close(): Promise<void> {
    this.redis.disconnect();
    return Promise.resolve();
  }
}

function parseReply(reply: unknown): [count: number, ttlMs: number] {
  if (Array.isArray(reply) && reply.length === 2) {
    const [count, ttlMs] = reply as unknown[];
    if (typeof count === "number" && typeof ttlMs === "number") return [count, ttlMs];
  }
  throw new Error(`unexpected reply to the rate-limit script: ${JSON.stringify(reply)}`);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
