import { Counter, Histogram, type Registry } from "prom-client";
import { METRIC_PREFIX } from "./process-metrics";

/** Seconds. LevelDB answers in tens of microseconds, Cassandra in milliseconds; the tail is a timeout. */
const STORE_BUCKETS = [0.0001, 0.0005, 0.002, 0.01, 0.05, 0.25, 1, 5];

/** Every operation of the WideRowStore port, as its `operation` label: a fixed set, whatever the tables. */
export const STORE_OPERATIONS = [
  "get",
  "put",
  "delete",
  "delete_partition",
  "insert_if_absent",
  "delete_if",
  "update_if",
  "slice",
  "scan",
  "batch",
  "increment",
] as const;

export type StoreOperation = (typeof STORE_OPERATIONS)[number];

/** One operation's series, bound once: recording a call looks nothing up. */
export interface StoreOperationSeries {
  readonly duration: { observe(seconds: number): void };
  readonly errors: { inc(): void };
}

/**
 * Latency and failures of the node's store, per operation of the port. Not per table: tables times operations
 * times buckets would be over a thousand series per node, and an outage shows on every table alike.
 */
export class StoreMetrics {
  private readonly series: ReadonlyMap<StoreOperation, StoreOperationSeries>;

  constructor(registry: Registry) {
    const duration = new Histogram({
      name: `${METRIC_PREFIX}store_operation_duration_seconds`,
      help: "Time a store operation took, answered or failed, by operation.",
      labelNames: ["operation"],
      buckets: STORE_BUCKETS,
      registers: [registry],
    });
    const errors = new Counter({
      name: `${METRIC_PREFIX}store_errors_total`,
      help: "Store operations that failed (unavailable, timed out, closed), by operation.",
      labelNames: ["operation"],
      registers: [registry],
    });
    const series = new Map<StoreOperation, StoreOperationSeries>();
    for (const operation of STORE_OPERATIONS) {
      // At 0 from the start: `rate()` over a series that appears with its first error misses that error.
      errors.inc({ operation }, 0);
      series.set(operation, { duration: duration.labels(operation), errors: errors.labels(operation) });
    }
    this.series = series;
  }

  forOperation(operation: StoreOperation): StoreOperationSeries {
    const found = this.series.get(operation);
    if (found === undefined) throw new Error(`no store operation ${operation}`);
    return found;
  }
}
