import { defineTable } from "../store/schema";

/**
 * Reports and their cases. All reports of one target while it is open gather in one case, so a moderator decides
 * once for everyone who reported it; a case is found from its target through `open_report_cases_by_target`, which
 * holds only open cases, so a target reported again after a decision opens a new one.
 */

/** A case: its target, a copy of the reported content as it was first reported, and its resolution. */
export const reportCases = defineTable({
  name: "report_cases",
  columns: {
    case_id: "id",
    target_type: "text",
    target_id: "id",
    conversation_id: "id",
    author_id: "id",
    opened_at: "timestamp",
    content_text: "text",
    /** JSON array of media ids. */
    content_media: "text",
    status: "text",
    action: "text",
    resolution_reason: "text",
    /** The deciding moderator; absent when the operator's console decided. */
    resolved_by: "id",
    resolved_at: "timestamp",
    suspended_until: "timestamp",
  },
  partitionKey: ["case_id"],
  conditional: true,
});

/** The open case of a target (`post:<id>`, `account:<id>`, ...); taken with insert-if-absent, so one per target. */
export const openCaseByTarget = defineTable({
  name: "open_report_cases_by_target",
  columns: { target_key: "text", case_id: "id" },
  partitionKey: ["target_key"],
  conditional: true,
});

/**
 * The moderation queue: open cases, oldest first (case ids are Snowflake ids). One partition: it holds only what
 * awaits a moderator, and a case leaves it when decided.
 */
export const openCases = defineTable({
  name: "open_report_cases",
  columns: { queue: "text", case_id: "id" },
  partitionKey: ["queue"],
  clustering: [{ column: "case_id", order: "asc" }],
});
export const OPEN_QUEUE = "open";

/** One report per reporter in a case, taken with insert-if-absent: one open report per reporter and target. */
export const caseReports = defineTable({
  name: "case_reports",
  columns: {
    case_id: "id",
    reporter_id: "id",
    report_id: "id",
    reason: "text",
    note: "text",
    created_at: "timestamp",
  },
  partitionKey: ["case_id"],
  clustering: [{ column: "reporter_id", order: "asc" }],
  conditional: true,
});

export const caseCounts = defineTable({
  name: "report_case_counts",
  columns: { case_id: "id", reporters: "counter" },
  partitionKey: ["case_id"],
  counter: true,
});

/** How long a report received counts towards holding its account for review: the sliding window is an hour. */
export const SIGNAL_WINDOW_MS = 3600_000;

/** Reports an account received lately, newest first, kept a little longer than the window they count in. */
export const reportsReceived = defineTable({
  name: "reports_received",
  columns: { user_id: "id", report_id: "id", reporter_id: "id", created_at: "timestamp" },
  partitionKey: ["user_id"],
  clustering: [{ column: "report_id", order: "desc" }],
  ttlSeconds: (2 * SIGNAL_WINDOW_MS) / 1000,
});

/**
 * Content a moderator removed, by target key: the rows of a removed post, comment or story are deleted, and this
 * is what still says "removed" where something points at them (a shared post in a conversation, a notification).
 */
export const removedContent = defineTable({
  name: "removed_content",
  columns: { target_key: "text", case_id: "id", removed_at: "timestamp" },
  partitionKey: ["target_key"],
});

/** How long a reporter's own list keeps a report. */
export const REPORTER_LIST_TTL_SECONDS = 365 * 24 * 3600;

/** A reporter's own reports, newest first, so they can follow what became of each (kept a year). */
export const reporterReports = defineTable({
  name: "reporter_reports",
  columns: {
    reporter_id: "id",
    report_id: "id",
    case_id: "id",
    target_type: "text",
    target_id: "id",
    conversation_id: "id",
    reason: "text",
    note: "text",
    created_at: "timestamp",
  },
  partitionKey: ["reporter_id"],
  clustering: [{ column: "report_id", order: "desc" }],
  ttlSeconds: REPORTER_LIST_TTL_SECONDS,
});

export const moderationTables = [
  reporterReports,
  reportCases,
  openCaseByTarget,
  openCases,
  caseReports,
  caseCounts,
  reportsReceived,
  removedContent,
];
