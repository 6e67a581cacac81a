import type { RateLimiter, RateLimitKey, RateLimitVerdict } from "./rate-limiter";

interface Window {
  count: number;
  resetsAt: number;
}

/** One process's limits, for embedded mode. Bounded: windows are dropped once past, at most `maxKeys` kept. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<RateLimitKey, Window>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  hit(key: RateLimitKey, limit: number, windowMs: number): Promise<RateLimitVerdict> {
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || window.resetsAt <= now) {
      if (this.windows.size >= this.maxKeys) this.evict(now);
      window = { count: 0, resetsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    if (window.count <= limit) return Promise.resolve({ allowed: true });
    return Promise.resolve({
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((window.resetsAt - now) / 1000)),
    });
  }

  private evict(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.resetsAt <= now) this.windows.delete(key);
    }
    // Still full of live windows: drop the oldest inserted rather than grow without bound.
    const excess = this.windows.size - this.maxKeys + 1;
    if (excess > 0) {
      let n = 0;
      for (const key of this.windows.keys()) {
        if (n++ >= excess) break;
        this.windows.delete(key);
      }
    }
  }
}
