import { Gauge, type Registry } from "prom-client";
import type { CacheBudget } from "../cache/budget";
import { METRIC_PREFIX } from "./process-metrics";

export type CacheName = keyof CacheBudget;

/** The caches of posts a node holds: what each holds against its share of CACHE_MB, both estimated in bytes. */
export class CacheMetrics {
  private readonly held = new Map<CacheName, () => number>();
  private readonly budgets = new Map<CacheName, number>();

  constructor(registry: Registry) {
    const held = this.held;
    const budgets = this.budgets;
    new Gauge({
      name: `${METRIC_PREFIX}cache_bytes`,
      help: "Estimated bytes a cache of posts holds on this node (post_rows, post_json, hydration).",
      labelNames: ["cache"],
      registers: [registry],
      collect() {
        for (const [cache, size] of held) this.set({ cache: snake(cache) }, size());
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}cache_budget_bytes`,
      help: "The share of CACHE_MB a cache of posts may hold on this node.",
      labelNames: ["cache"],
      registers: [registry],
      collect() {
        for (const [cache, bytes] of budgets) this.set({ cache: snake(cache) }, bytes);
      },
    });
  }

  watch(cache: CacheName, budget: number, size: () => number): void {
    this.held.set(cache, size);
    this.budgets.set(cache, budget);
  }
}

function snake(name: CacheName): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
