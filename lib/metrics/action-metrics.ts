import { Counter, Histogram, type Registry } from "prom-client";
import { METRIC_PREFIX } from "./process-metrics";

/** Seconds. Most actions answer within milliseconds; the tail is a slow store, a retry or a transcode. */
const ACTION_BUCKETS = [0.0005, 0.002, 0.01, 0.05, 0.25, 1, 5];

/** One action's series, bound to its labels once: recording a call looks nothing up. */
export interface ActionSeries {
  readonly ok: { inc(): void };
  readonly error: { inc(): void };
  readonly duration: { observe(seconds: number): void };
}

/** Calls and latency per Moleculer action run on this node (the node that serves a call counts it). */
export class ActionMetrics {
  private readonly calls: Counter<"action" | "outcome">;
  private readonly duration: Histogram<"action">;
  /** Per action name: an action wrapped again (a service destroyed and created anew) reuses its series. */
  private readonly series = new Map<string, ActionSeries>();

  constructor(registry: Registry) {
    this.calls = new Counter({
      name: `${METRIC_PREFIX}action_calls_total`,
      help: "Moleculer action calls served by this node, by action and outcome (ok or error).",
      labelNames: ["action", "outcome"],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: `${METRIC_PREFIX}action_duration_seconds`,
      help: "Time a Moleculer action took on this node, from its call to its answer or error.",
      labelNames: ["action"],
      buckets: ACTION_BUCKETS,
      registers: [registry],
    });
  }

  /** The series of an action; called when the action is wrapped, never per call. */
  forAction(action: string): ActionSeries {
    let found = this.series.get(action);
    if (found === undefined) {
      found = {
        ok: this.calls.labels(action, "ok"),
        error: this.calls.labels(action, "error"),
        duration: this.duration.labels(action),
      };
      // At 0 from the start: `increase()` over a series that appears with its first error misses that error.
      this.calls.inc({ action, outcome: "ok" }, 0);
      this.calls.inc({ action, outcome: "error" }, 0);
      this.series.set(action, found);
    }
    return found;
  }
}
