import { Counter, Histogram, type Registry } from "prom-client";
import { METRIC_PREFIX } from "./process-metrics";

/** Seconds, from the request's arrival to the last byte of its answer handed to the socket. */
const HTTP_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10];

interface RouteSeries {
  readonly duration: { observe(seconds: number): void };
  /** Per status class (index = status / 100), bound the first time the route answers with that class. */
  readonly requests: ({ inc(): void } | undefined)[];
}

/**
 * HTTP requests and latency per route template (`GET /api/users/:username`, never the URL itself) and status
 * class: a bounded set of series whatever clients send.
 */
export class HttpMetrics {
  private readonly requests: Counter<"route" | "status_class">;
  private readonly duration: Histogram<"route">;
  private readonly routes = new Map<string, RouteSeries>();

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: `${METRIC_PREFIX}http_requests_total`,
      help: "HTTP requests answered, by route template and status class.",
      labelNames: ["route", "status_class"],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: "Time from an HTTP request's arrival to the end of its answer, by route template.",
      labelNames: ["route"],
      buckets: HTTP_BUCKETS,
      registers: [registry],
    });
  }

  /** One answered request. `route` must come from a bounded set: a route template or a fixed name. */
  observe(route: string, status: number, seconds: number): void {
    let series = this.routes.get(route);
    if (series === undefined) {
      series = { duration: this.duration.labels(route), requests: [] };
      this.routes.set(route, series);
    }
    // `2xx` for 200–299 and so on: at most nine classes, as Node refuses statuses outside 100–999.
    const statusClass = Math.trunc(status / 100);
    let requests = series.requests[statusClass];
    if (requests === undefined) {
      requests = this.requests.labels(route, `${statusClass}xx`);
      series.requests[statusClass] = requests;
    }
    requests.inc();
    series.duration.observe(seconds);
  }
}
