export { ActionMetrics, type ActionSeries } from "./action-metrics";
export { ActorMetrics, type ActorKind } from "./actor-metrics";
export { CacheMetrics, type CacheName } from "./cache-metrics";
export { FanoutMetrics } from "./fanout-metrics";
export { HttpMetrics } from "./http-metrics";
export { NodeMetrics, type MetricsEndpoint } from "./node-metrics";
export { METRIC_PREFIX, processMetrics } from "./process-metrics";
export { RateLimitMetrics } from "./rate-limit-metrics";
export { SearchMetrics } from "./search-metrics";
export {
  STORE_OPERATIONS,
  StoreMetrics,
  type StoreOperation,
  type StoreOperationSeries,
} from "./store-metrics";
export { TranscodeJobMetrics, TranscoderMetrics } from "./transcode-metrics";
