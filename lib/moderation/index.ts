export { ModerationErasure } from "./erasure";
export { Moderation, type ModerationDeps } from "./moderation";
export type { AccountReview, ReportNotifier, ReportTargets, TargetSnapshot } from "./ports";
export { Removals } from "./removals";
export { Reports, type ReportsDeps } from "./reports";
export { moderationTables } from "./tables";
export { targetKey } from "./targets";
export type { ReportOutcome, ReportTarget, ReportTargetType } from "./params";
