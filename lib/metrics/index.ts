export { ActionMetrics, type ActionSeries } from "./action-metrics";
export { HttpMetrics } from "./http-metrics";
export { NodeMetrics, type MetricsEndpoint } from "./node-metrics";
export { METRIC_PREFIX, processMetrics } from "./process-metrics";
export { SearchMetrics } from "./search-metrics";
