import Redis from "ioredis";
import { CircuitBreaker } from "./breaker";

export interface RedisConnectionOptions {
  /** Longest a command waits for Redis before the caller takes its fallback. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Consecutive failures that open the breaker (one timeout opens it at once). */
  failureThreshold?: number;
  /** While open, how often a PING asks whether Redis is back. */
  probeIntervalMs?: number;
  /** The breaker's clock. */
  now?: () => number;
  /** Hears each change of availability once: a warning when Redis is lost, a note when it is back. */
  log?: (level: "warn" | "info", message: string) => void;
}

/**
 * The node's one Redis client (ioredis) behind a circuit breaker, shared by the rate limiter and the cache.
 *
 * Redis is never required to serve: every caller has a fallback (per-node counts, a cache miss). So a command
 * must never wait on a Redis that is known to be gone: no offline queue (a command while disconnected fails at
 * once instead of waiting for a reconnection), no retry of commands cut by a lost connection (the caller has
 * already answered from its fallback; a replayed INCR would count twice), and once the breaker is open callers
 * skip Redis entirely until a probe finds it again.
 */
export class RedisConnection {
  readonly client: Redis;
  private readonly breaker: CircuitBreaker;
  private readonly commandTimeoutMs: number;
  private readonly listeners: ((available: boolean) => void)[] = [];
  private readonly log: (level: "warn" | "info", message: string) => void;
  private readonly probeTimer: NodeJS.Timeout;
  /** Until the first connection attempt ends, callers wait for it (bounded), so a fresh node counts in Redis. */
  private firstAttempt: Promise<void> | undefined;
  private closing = false;

  constructor(url: string, options: RedisConnectionOptions = {}) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? 500;
    this.log =
      options.log ??
      ((level, message) => {
        if (level === "warn") process.emitWarning(message, { code: "MOSAIC_REDIS" });
      });
    this.client = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      commandTimeout: this.commandTimeoutMs,
    });
    const probeIntervalMs = options.probeIntervalMs ?? 2_000;
    this.breaker = new CircuitBreaker(() => this.client.ping(), {
      failureThreshold: options.failureThreshold ?? 3,
      probeIntervalMs,
      opensAtOnce: isTimeout,
      ...(options.now && { now: options.now }),
      onChange: (available, reason) => this.changed(available, reason),
    });
    this.firstAttempt = new Promise<void>((resolve) => {
      const settle = () => {
        this.firstAttempt = undefined;
        resolve();
      };
      this.client.once("ready", settle);
      this.client.once("close", settle);
    });
    // Reconnecting is ioredis's job; what an error means for callers is the breaker's.
    this.client.on("error", () => undefined);
    this.client.on("close", () => {
      if (!this.closing) this.breaker.recordFailure(new Error("the connection to Redis closed"), true);
    });
    this.client.on("ready", () => this.breaker.probeNow());
    // Probes also run without traffic, so that recovery is logged and reported when it happens.
    this.probeTimer = setInterval(() => this.breaker.poll(), probeIntervalMs);
    this.probeTimer.unref();
  }

  /** Whether commands go to Redis now (the breaker is closed and the connection is up). */
  get available(): boolean {
    return this.breaker.state === "closed" && this.client.status === "ready";
  }

  /**
   * Runs `command` on Redis, or answers `fallback()` at once while Redis is known to be gone, or when the command
   * fails or takes longer than the command timeout.
   */
  async run<T>(command: (client: Redis) => Promise<T>, fallback: () => T): Promise<T> {
    if (this.firstAttempt) await this.waitForFirstAttempt(this.firstAttempt);
    return this.breaker.run(() => command(this.client), fallback);
  }

  /** `listener(false)` when callers start falling back, `listener(true)` when they use Redis again. */
  onChange(listener: (available: boolean) => void): void {
    this.listeners.push(listener);
  }

  close(): Promise<void> {
    this.closing = true;
    clearInterval(this.probeTimer);
    this.client.disconnect();
    return Promise.resolve();
  }

  private async waitForFirstAttempt(attempt: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      attempt.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.commandTimeoutMs))),
    ]);
    clearTimeout(timer);
    // A Redis that accepts the connection but never answers: the requests so far waited, later ones must not.
    if (timedOut && this.firstAttempt === attempt) {
      this.firstAttempt = undefined;
      this.breaker.recordFailure(new Error("Redis did not answer the first connection in time"), true);
    }
  }

  private changed(available: boolean, reason: string): void {
    if (this.closing) return;
    if (available) {
      this.log(
        "info",
        "Redis answers again: rate limits are shared by the cluster and the cache is used again",
      );
    } else {
      this.log(
        "warn",
        `Redis does not answer (${reason}): falling back to per-node rate limits and no cache until it does`,
      );
    }
    for (const listener of this.listeners) listener(available);
  }
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && /timed out|ETIMEDOUT/i.test(err.message);
}
