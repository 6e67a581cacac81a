import { defineTable } from "../store/schema";

/**
 * Each user's data exports, newest first: the status a client polls and, once ready, the archive's blob. A ready
 * one is deleted with its archive by the expiry sweep; the TTL only clears failed ones nobody looks at any more.
 */
export const exportJobs = defineTable({
  name: "export_jobs",
  columns: {
    user_id: "id",
    export_id: "id",
    /** queued, running, ready or failed. */
    state: "text",
    done: "int",
    total: "int",
    attempts: "int",
    created_at: "timestamp",
    started_at: "timestamp",
    ready_at: "timestamp",
    expires_at: "timestamp",
    blob_key: "text",
    size: "int",
    failure: "text",
  },
  partitionKey: ["user_id"],
  clustering: [{ column: "export_id", order: "desc" }],
  ttlSeconds: 30 * 86_400,
});

/**
 * The one export a user may have under way: taken with insert-if-absent when a job is asked for, removed when it
 * ends. Two requests at once cannot both take it, whichever nodes they reach.
 */
export const exportActive = defineTable({
  name: "export_active",
  columns: { user_id: "id", export_id: "id" },
  partitionKey: ["user_id"],
  conditional: true,
});

/**
 * Jobs not finished yet, spread over a few partitions that every worker scans: written before the job is
 * acknowledged, deleted when it is ready or failed for good, so a job whose node died stays here to be redone.
 */
export const exportQueue = defineTable({
  name: "export_queue",
  columns: { shard: "int", export_id: "id", user_id: "id", queued_at: "timestamp" },
  partitionKey: ["shard"],
  clustering: [{ column: "export_id", order: "asc" }],
  transient: true,
});

/** Who builds an archive now: taken with insert-if-absent, kept alive by renewals, lapsing with its TTL. */
export const exportLeases = defineTable({
  name: "export_leases",
  columns: { export_id: "id", holder: "text" },
  partitionKey: ["export_id"],
  ttlSeconds: 30,
  conditional: true,
});

/** Ready archives by the day they expire, for the sweep that deletes them (a few partitions per round). */
export const exportExpiries = defineTable({
  name: "export_expiries",
  columns: { day: "int", export_id: "id", user_id: "id", blob_key: "text", expires_at: "timestamp" },
  partitionKey: ["day"],
  clustering: [{ column: "export_id", order: "asc" }],
  ttlSeconds: 30 * 86_400,
});

export const EXPORT_SHARDS = 4;

export const exportTables = [exportJobs, exportActive, exportQueue, exportLeases, exportExpiries] as const;
