import type { RedisConnection } from "../redis/connection";
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
  /** The clock of the per-node fallback counts. */
  now?: () => number;
}

/**
 * Limits shared by every gateway node of a cluster through one Redis.
 *
 * When Redis does not answer, limits fall back to this node's own memory instead of failing the request: a rate
 * limit protects capacity and slows abuse, it is not the truth of anything, so a Redis outage must not turn every
 * write into a 500 (failing closed) nor lift the login and sign-up limits entirely (failing fully open). Per-node
 * counts are looser by the number of gateway nodes, which is an acceptable price for the duration of an outage.
 * The connection's circuit breaker makes that fallback immediate once Redis is known to be gone.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly hitCommand: WithHitCommand;
  private readonly prefix: string;
  private readonly now: () => number;
  private fallback: MemoryRateLimiter;
  /** Whether the last hit was counted in `fallback`, or Redis was lost since: what the metrics report. */
  private fellBack = false;

  constructor(
    private readonly redis: RedisConnection,
    options: RedisRateLimiterOptions = {},
  ) {
    this.prefix = options.prefix ?? "mosaic:";
    this.now = options.now ?? Date.now;
    this.fallback = new MemoryRateLimiter(this.now);
    redis.client.defineCommand(HIT_COMMAND, { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.hitCommand = redis.client as unknown as WithHitCommand;
    redis.onChange((available) => {
      // The outage's per-node counts must not linger into the next outage.
      if (available) this.fallback = new MemoryRateLimiter(this.now);
      // Known at once, not at the next hit: a node without traffic reports its state too.
      this.fellBack = !available;
    });
  }

  /** True while limits are counted in this node's memory because Redis does not answer. */
  get fallingBack(): boolean {
    return this.fellBack;
  }

  async hit(key: RateLimitKey, limit: number, windowMs: number): Promise<RateLimitVerdict> {
    const reply = await this.redis.run(
      async () => parseReply(await this.hitCommand[HIT_COMMAND](this.prefix + key, Math.ceil(windowMs))),
      () => undefined,
    );
    this.fellBack = reply === undefined;
    if (reply === undefined) return this.fallback.hit(key, limit, windowMs);
    const [count, ttlMs] = reply;
    if (count <= limit) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
  }
}

function parseReply(reply: unknown): [count: number, ttlMs: number] {
  if (Array.isArray(reply) && reply.length === 2) {
    const [count, ttlMs] = reply as unknown[];
    if (typeof count === "number" && typeof ttlMs === "number") return [count, ttlMs];
  }
  throw new Error(`unexpected reply to the rate-limit script: ${JSON.stringify(reply)}`);
}
