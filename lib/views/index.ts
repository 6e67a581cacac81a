export { HOUR_MS, PostViews, viewCountsOf, type FlushOutcome, type PostViewsDeps } from "./post-views";
export { HyperLogLog } from "./hyperloglog";
export { postActivityTotals, postHours, postViewCounts, postViewerSketches, viewTables } from "./tables";
export { activityTotalsOf, PostActivity, type ActivityKind, type ActivityTotals } from "./activity";
export { Insights, INSIGHT_HOURS } from "./insights";
