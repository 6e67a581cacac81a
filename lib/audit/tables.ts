import { defineTable } from "../store/schema";

/** How long audit rows are kept: a year, then Cassandra drops them (a longer record belongs in a log archive). */
export const AUDIT_TTL_SECONDS = 365 * 24 * 3600;

/**
 * What operators did from the console, one row per command: partitioned by the UTC day (yyyymmdd), so a day is
 * one bounded slice and old days expire whole; newest first within a day.
 */
export const auditLog = defineTable({
  name: "audit_log",
  columns: {
    day: "int",
    audit_id: "id",
    at: "timestamp",
    operator: "text",
    command: "text",
    target_user: "text",
    action: "text",
    params: "text",
    outcome: "text",
  },
  partitionKey: ["day"],
  clustering: [{ column: "audit_id", order: "desc" }],
  ttlSeconds: AUDIT_TTL_SECONDS,
});

export const auditTables = [auditLog] as const;
