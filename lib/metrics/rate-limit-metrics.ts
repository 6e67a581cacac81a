import { Counter, Gauge, type Registry } from "prom-client";
import { RATE_LIMIT_NAMES, type RateLimitName } from "../rate-limit/rate-limiter";
import { METRIC_PREFIX } from "./process-metrics";

/**
 * The gateway's rate limits: requests refused per limit, and whether the limits are counted in this node's
 * memory because Redis does not answer (per-node counts are looser by the number of gateways, and were silent).
 */
export class RateLimitMetrics {
  private readonly rejections: ReadonlyMap<RateLimitName, { inc(): void }>;
  private fallbackActive: () => boolean = () => false;

  constructor(registry: Registry) {
    const rejections = new Counter({
      name: `${METRIC_PREFIX}rate_limit_rejections_total`,
      help: "Requests refused by a rate limit or quota, by limit.",
      labelNames: ["limit"],
      registers: [registry],
    });
    const bound = new Map<RateLimitName, { inc(): void }>();
    for (const limit of RATE_LIMIT_NAMES) {
      rejections.inc({ limit }, 0);
      bound.set(limit, rejections.labels(limit));
    }
    this.rejections = bound;
    const active = () => this.fallbackActive();
    new Gauge({
      name: `${METRIC_PREFIX}rate_limit_redis_fallback_active`,
      help: "1 while this node counts rate limits in its own memory because Redis does not answer, else 0.",
      registers: [registry],
      collect() {
        this.set(active() ? 1 : 0);
      },
    });
  }

  rejected(limit: RateLimitName): void {
    this.rejections.get(limit)?.inc();
  }

  /** Where the gauge reads whether the limiter falls back (read when scraped). */
  watchFallback(active: () => boolean): void {
    this.fallbackActive = active;
  }
}
