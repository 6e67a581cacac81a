export { PostViews, viewCountsOf, type FlushOutcome, type PostViewsDeps } from "./post-views";
export { viewTables, postViewCounts, postViewHours } from "./tables";
