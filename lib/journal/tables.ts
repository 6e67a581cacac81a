import { defineTable } from "../store/schema";

/**
 * Writes that span several partitions and are not finished yet: one row per operation, written before its first
 * visible write and deleted after its last. A row left behind names an operation a crash cut short; a resumer
 * completes it (see WriteJournal). Spread over a few partitions, which hold only the operations in flight.
 */
export const pendingWrites = defineTable({
  name: "pending_writes",
  columns: { shard: "int", op_id: "id", kind: "text", args: "text", created_at: "timestamp" },
  partitionKey: ["shard"],
  clustering: [{ column: "op_id", order: "asc" }],
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

export const journalTables = [pendingWrites, pendingWriteLeases] as const;
