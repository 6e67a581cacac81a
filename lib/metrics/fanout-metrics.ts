import { Counter, Gauge, type Registry } from "prom-client";
import { METRIC_PREFIX } from "./process-metrics";

/**
 * Fan-out on write (lib/timeline/fanout.ts). The backlog is the cluster's, read from the job rows every timeline
 * node scans each second, so every timeline node reports the same value: aggregate it with `max`, not `sum`.
 * Rows written are this node's own, so `sum(rate(...))` is the cluster's.
 */
export class FanoutMetrics {
  readonly pending: Gauge;
  readonly oldestPendingAge: Gauge;
  readonly rowsWritten: Counter;

  constructor(registry: Registry) {
    this.pending = new Gauge({
      name: `${METRIC_PREFIX}fanout_jobs_pending`,
      help: "Fan-out jobs recorded and not finished, in the whole cluster, at this node's last scan.",
      registers: [registry],
    });
    this.oldestPendingAge = new Gauge({
      name: `${METRIC_PREFIX}fanout_jobs_oldest_pending_age_seconds`,
      help: "Age of the oldest unfinished fan-out job in the cluster (0 when none), at this node's last scan.",
      registers: [registry],
    });
    this.rowsWritten = new Counter({
      name: `${METRIC_PREFIX}fanout_rows_written_total`,
      help: "Timeline rows the fan-out jobs run by this node had written (one per follower per post).",
      registers: [registry],
    });
  }

  /** What one scan of the job rows found; `oldestCreatedAt` undefined when there were none. */
  scanned(jobs: number, oldestCreatedAt: number | undefined, now: number): void {
    this.pending.set(jobs);
    this.oldestPendingAge.set(oldestCreatedAt === undefined ? 0 : Math.max(0, now - oldestCreatedAt) / 1000);
  }
}
