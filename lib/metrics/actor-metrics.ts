import { Counter, Gauge, type Registry } from "prom-client";
import type { ActorStats } from "../concurrency/actor-memory";
import { METRIC_PREFIX } from "./process-metrics";

/** The kinds of per-user actors (mixins/actor.mixin.ts), as the `actor` label. */
export type ActorKind = "timeline" | "inbox";

/**
 * Per-user actors this node holds in memory, and how often it rebuilds them from the store. Read from the actors'
 * own counts when scraped, so holding and rebuilding an actor costs nothing more than it did.
 */
export class ActorMetrics {
  private readonly watched = new Map<ActorKind, ActorStats>();

  constructor(registry: Registry) {
    const watched = this.watched;
    new Gauge({
      name: `${METRIC_PREFIX}actors_held`,
      help: "Users whose actor state this node holds in memory, by kind of actor.",
      labelNames: ["actor"],
      registers: [registry],
      collect() {
        for (const [actor, stats] of watched) this.set({ actor }, stats.size);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}actor_rebuilds_total`,
      help: "Users' actor state rebuilt from the store (not held, evicted, or distrusted after a ring change).",
      labelNames: ["actor"],
      registers: [registry],
      collect() {
        // The actors count; this copies their count (a new actor memory starting at 0 reads as a counter reset).
        this.reset();
        for (const [actor, stats] of watched) this.inc({ actor }, stats.rebuilds);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}actor_resets_total`,
      help: "Times this node dropped every actor of a kind because the ring of owners changed.",
      labelNames: ["actor"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [actor, stats] of watched) this.inc({ actor }, stats.resets);
      },
    });
  }

  /** Reports the actors of one kind this node holds (the last one given, if a service is created anew). */
  watch(actor: ActorKind, stats: ActorStats): void {
    this.watched.set(actor, stats);
  }
}
