import type { RateLimitMetrics } from "../metrics/rate-limit-metrics";
import { limitNameOf, type RateLimiter, type RateLimitKey, type RateLimitVerdict } from "./rate-limiter";

/** A rate limiter whose refusals are counted per limit (never per key: keys name users and addresses). */
export class MeteredRateLimiter implements RateLimiter {
  constructor(
    private readonly inner: RateLimiter,
    private readonly metrics: RateLimitMetrics,
  ) {}

  hit(key: RateLimitKey, limit: number, windowMs: number): Promise<RateLimitVerdict> {
    return this.inner.hit(key, limit, windowMs).then((verdict) => {
      if (!verdict.allowed) this.metrics.rejected(limitNameOf(key));
      return verdict;
    });
  }
}
