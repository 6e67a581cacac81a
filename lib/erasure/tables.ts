import { defineTable } from "../store/schema";

/**
 * Accounts waiting for their erasure, soonest first: written when an account is deleted, removed when its owner
 * takes it back or its erasure ends. One partition: deletions are rare (one row and one tombstone each), and a
 * sweep reads only its head, up to now.
 */
export const erasuresDue = defineTable({
  name: "erasures_due",
  columns: { queue: "text", erase_after: "timestamp", user_id: "id" },
  partitionKey: ["queue"],
  clustering: [
    { column: "erase_after", order: "asc" },
    { column: "user_id", order: "asc" },
  ],
});

export const DUE_QUEUE = "due";

/**
 * An erasure under way: the step it reached and where in it, so that a node taking it over (after a crash or a
 * restart) goes on from there. Every step is safe to run again from its last recorded position.
 */
export const erasureJobs = defineTable({
  name: "erasure_jobs",
  columns: { user_id: "id", step: "text", cursor: "text", started_at: "timestamp" },
  partitionKey: ["user_id"],
});

/** Who runs an account's erasure now: taken with insert-if-absent, kept alive while it runs, short by its TTL. */
export const erasureLeases = defineTable({
  name: "erasure_leases",
  columns: { user_id: "id", holder: "text" },
  partitionKey: ["user_id"],
  ttlSeconds: 60,
  conditional: true,
});

export const erasureTables = [erasuresDue, erasureJobs, erasureLeases] as const;
