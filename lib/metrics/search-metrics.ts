import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { METRIC_PREFIX } from "./process-metrics";

/** Seconds from a change's job to its being searchable. */
const LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60];
const QUERY_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 2.5];

/** The search indexer's and queries' metrics (issue #12: the lag from change to searchable is a metric). */
export class SearchMetrics {
  readonly lag: Histogram;
  readonly applied: Counter;
  readonly pending: Gauge;
  readonly oldestPendingAge: Gauge;
  readonly queries: Histogram<"type">;
  readonly failures: Counter<"operation">;
  /** What the index thread's heap holds, when the index has a thread (the embedded one); read at each scrape. */
  private indexHeap: (() => Promise<number | undefined>) | undefined;

  constructor(registry: Registry) {
    this.lag = new Histogram({
      name: `${METRIC_PREFIX}search_index_lag_seconds`,
      help: "Time from a change's index job to the change being searchable.",
      buckets: LAG_BUCKETS,
      registers: [registry],
    });
    this.applied = new Counter({
      name: `${METRIC_PREFIX}search_jobs_applied_total`,
      help: "Index jobs applied to the search engine.",
      registers: [registry],
    });
    this.pending = new Gauge({
      name: `${METRIC_PREFIX}search_jobs_pending`,
      help: "Index jobs read but not applied yet, at the end of the indexer's last round.",
      registers: [registry],
    });
    this.oldestPendingAge = new Gauge({
      name: `${METRIC_PREFIX}search_jobs_oldest_pending_age_seconds`,
      help: "Age of the oldest index job not applied yet (0 when none).",
      registers: [registry],
    });
    this.queries = new Histogram({
      name: `${METRIC_PREFIX}search_query_duration_seconds`,
      help: "Time the search engine took to answer a query, by type.",
      labelNames: ["type"],
      buckets: QUERY_BUCKETS,
      registers: [registry],
    });
    const heapOf = () => this.indexHeap?.();
    new Gauge({
      name: `${METRIC_PREFIX}search_index_heap_bytes`,
      help: "Heap the embedded search index's thread uses, which the node's heap metrics leave out (0 on OpenSearch, or with no thread running).",
      registers: [registry],
      async collect() {
        const bytes = await heapOf();
        this.set(bytes ?? 0);
      },
    });
    this.failures = new Counter({
      name: `${METRIC_PREFIX}search_errors_total`,
      help: "Search engine operations that failed, by operation.",
      labelNames: ["operation"],
      registers: [registry],
    });
  }

  /** Reports the heap of the embedded index's thread (the last index given). */
  watchIndexHeap(read: () => Promise<number | undefined>): void {
    this.indexHeap = read;
  }
}
