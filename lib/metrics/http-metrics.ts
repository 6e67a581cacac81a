import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { METRIC_PREFIX } from "./process-metrics";
import type { Refusal } from "../http/admission";

/** Seconds, from the request's arrival to the last byte of its answer handed to the socket. */
const HTTP_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10];

interface RouteSeries {
  readonly duration: { observe(seconds: number): void };
  /** Per status class (index = status / 100), bound the first time the route answers with that class. */
  readonly requests: ({ inc(): void } | undefined)[];
}

/** What the gateway's admission shows: API requests in flight, and the bound in force (fixed or adaptive). */
export interface AdmissionGauge {
  readonly current: number;
  readonly bound: number;
}

/**
 * HTTP requests and latency per route template (`GET /api/users/:username`, never the URL itself) and status
 * class: a bounded set of series whatever clients send.
 */
export class HttpMetrics {
  private readonly requests: Counter<"route" | "status_class">;
  private readonly duration: Histogram<"route">;
  private readonly routes = new Map<string, RouteSeries>();
  private readonly refusals: Counter<"reason">;
  private admission: AdmissionGauge | undefined;

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
    this.refusals = new Counter({
      name: `${METRIC_PREFIX}http_refused_total`,
      help: "API requests refused with 503 before any work, by reason: in_flight (the bound, fixed or adaptive) or queue (a standing queue in the event loop).",
      labelNames: ["reason"],
      registers: [registry],
    });
    const gauge = () => this.admission;
    new Gauge({
      name: `${METRIC_PREFIX}http_in_flight`,
      help: "API requests this gateway works on now.",
      registers: [registry],
      collect() {
        const admission = gauge();
        if (admission !== undefined) this.set(admission.current);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}http_in_flight_limit`,
      help: "API requests this gateway takes at once now: MAX_IN_FLIGHT, or the adaptive limit under it.",
      registers: [registry],
      collect() {
        const admission = gauge();
        if (admission !== undefined) this.set(admission.bound);
      },
    });
  }

  watchAdmission(admission: AdmissionGauge): void {
    this.admission = admission;
  }

  refused(reason: Refusal): void {
    this.refusals.inc({ reason: reason === "in-flight" ? "in_flight" : "queue" });
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
