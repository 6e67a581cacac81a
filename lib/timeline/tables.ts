import { defineTable } from "../store/schema";

/** A user's home timeline: post ids pushed by fan-out, newest first, in the reader's partition. */
export const timeline = defineTable({
  name: "timeline",
  columns: { user_id: "id", post_id: "id", author_id: "id" },
  partitionKey: ["user_id"],
  clustering: [{ column: "post_id", order: "desc" }],
});

/**
 * Fan-out work not yet finished, spread over a few partitions. A job is written with its post (before the post
 * is acknowledged), remembers how far it got (the follower page token), and is deleted when done; a node that
 * dies mid-fan-out leaves the row for another to resume from its cursor.
 */
export const fanoutJobs = defineTable({
  name: "fanout_jobs",
  columns: {
    shard: "int",
    post_id: "id",
    author_id: "id",
    cursor: "text",
    delivered: "int",
    created_at: "timestamp",
  },
  partitionKey: ["shard"],
  clustering: [{ column: "post_id", order: "asc" }],
});

/** Who works on a fan-out job now: taken with insert-if-absent, kept alive by a short TTL. */
export const fanoutLeases = defineTable({
  name: "fanout_leases",
  columns: { post_id: "id", holder: "text" },
  partitionKey: ["post_id"],
  ttlSeconds: 30,
});

/** Accounts with followers at or above the threshold: read at feed time instead of fanned out. */
export const celebrities = defineTable({
  name: "celebrities",
  columns: { bucket: "int", user_id: "id", since: "timestamp" },
  partitionKey: ["bucket"],
  clustering: [{ column: "user_id", order: "asc" }],
});

export const FANOUT_SHARDS = 8;

export const timelineTables = [timeline, fanoutJobs, fanoutLeases, celebrities] as const;
