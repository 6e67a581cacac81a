import { defineTable } from "../store/schema";

/**
 * Writes that span several partitions and are not finished yet: one row per operation, written before its first
 * visible write and deleted after its last. A row left behind names an operation a crash cut short; a resumer
 * completes it (see WriteJournal). Partitioned by the minute the operation began and a shard: every operation
 * leaves a tombstone where it was, and Cassandra reads every tombstone of a partition it slices, so a partition
 * must stop receiving writes soon (a minute) and resumers look only at the recent ones. Rows expire after a day.
 */
export const pendingWrites = defineTable({
  name: "pending_writes",
  columns: {
    minute: "int",
    shard: "int",
    op_id: "id",
    kind: "text",
    args: "text",
    created_at: "timestamp",
  },
  partitionKey: ["minute", "shard"],
  clustering: [{ column: "op_id", order: "asc" }],
  ttlSeconds: 86_400,
  transient: true,
});

/**
 * The minutes that hold (or held) recorded operations, by day: a resumer reads these instead of looking at every
 * minute of the day. Written once per minute and node before the first operation of that minute.
 */
export const pendingWriteMinutes = defineTable({
  name: "pending_write_minutes",
  columns: { day: "int", minute: "int" },
  partitionKey: ["day"],
  clustering: [{ column: "minute", order: "asc" }],
  ttlSeconds: 2 * 86_400,
});

/** Who completes a left-behind operation now: taken with insert-if-absent, kept short by its TTL. */
export const pendingWriteLeases = defineTable({
  name: "pending_write_leases",
  columns: { op_id: "id", holder: "text" },
  partitionKey: ["op_id"],
  ttlSeconds: 60,
  conditional: true,
});

export const JOURNAL_SHARDS = 8;
/** How long a recorded operation stays to be completed (the table's TTL). */
export const JOURNAL_KEEP_MS = 86_400_000;

export const journalTables = [pendingWrites, pendingWriteMinutes, pendingWriteLeases] as const;
