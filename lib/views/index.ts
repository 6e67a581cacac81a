export { HOUR_MS, PostViews, viewCountsOf, type FlushOutcome, type PostViewsDeps } from "./post-views";
export { HyperLogLog } from "./hyperloglog";
export { postHours, postViewCounts, postViewerSketches, viewTables } from "./tables";
export { PostActivity, type ActivityKind } from "./activity";
export { Insights, INSIGHT_HOURS } from "./insights";
