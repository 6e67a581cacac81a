import { Counter, Gauge, type Registry } from "prom-client";
import type { PushOutcome } from "../push/push-sender";
import { METRIC_PREFIX } from "./process-metrics";

const OUTCOMES: readonly PushOutcome[] = ["sent", "expired", "rejected", "failed", "dropped"];

/** Web Push on an inbox node: each push's outcome, and how many wait in its queue. */
export class PushMetrics {
  private readonly outcomes: Counter<"outcome">;
  private queued: () => number = () => 0;

  constructor(registry: Registry) {
    this.outcomes = new Counter({
      name: `${METRIC_PREFIX}push_total`,
      help: "Web Pushes by outcome: sent, expired (subscription removed), rejected, failed (retries spent), dropped (queue full).",
      labelNames: ["outcome"],
      registers: [registry],
    });
    for (const outcome of OUTCOMES) this.outcomes.inc({ outcome }, 0);
    const size = () => this.queued();
    new Gauge({
      name: `${METRIC_PREFIX}push_queued`,
      help: "Web Pushes queued, waiting to retry or in flight on this node.",
      registers: [registry],
      collect() {
        this.set(size());
      },
    });
  }

  outcome(outcome: PushOutcome): void {
    this.outcomes.inc({ outcome });
  }

  watch(queued: () => number): void {
    this.queued = queued;
  }
}
