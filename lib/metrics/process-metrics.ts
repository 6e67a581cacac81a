import { collectDefaultMetrics, Registry } from "prom-client";

/** Every metric Mosaic exposes starts with this, so they never clash with another exporter's on a dashboard. */
export const METRIC_PREFIX = "mosaic_";

/**
 * Gauges prom-client names with `_total`, a suffix Prometheus keeps for counters (`promtool check metrics` flags
 * them). Each is the sum over its sibling's `type` label (`sum(mosaic_nodejs_active_handles)`), so nothing is lost.
 */
const MISNAMED_GAUGES = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

let shared: Registry | undefined;

/**
 * The process's own metrics (event-loop lag, GC, CPU, memory, file descriptors), registered once per process.
 *
 * They describe the process, not a node, and prom-client 15 cannot stop collecting them: `collectDefaultMetrics`
 * enables a `monitorEventLoopDelay` histogram and a GC `PerformanceObserver` and returns no way to end either
 * (prometheus/client_js#494, #500). Calling it per node would leave one of each behind for every node a test
 * process starts and stops. So one registry holds them for the process, and each node's `/metrics` merges it with
 * its own, as prom-client documents for several registries on one endpoint (`Registry.merge`).
 *
 * prom-client's default metrics carry no host name, address, home directory or process argument: nothing here
 * adds a label for any of them.
 */
export function processMetrics(): Registry {
  if (shared === undefined) {
    const register = new Registry();
    collectDefaultMetrics({ register, prefix: METRIC_PREFIX });
    for (const name of MISNAMED_GAUGES) register.removeSingleMetric(`${METRIC_PREFIX}${name}`);
    shared = register;
  }
  return shared;
}
