import { defineTable } from "../store/schema";
import { BucketedList, listBuckets } from "../validation/bucketed-list";
import { MONTHLY, TimeBuckets } from "../validation/time-buckets";

/**
 * A user's home timeline: post ids pushed by fan-out, newest first, in the reader's partitions, one month of posts
 * (by the post's id) each. It is never trimmed, so the feed has no end a reader can reach, and bucketing is what
 * bounds each partition; a backfill of old posts (a new follow) lands in old buckets, which the index finds.
 */
export const timeline = defineTable({
  name: "timeline_b",
  columns: { user_id: "id", bucket: "int", post_id: "id", author_id: "id" },
  partitionKey: ["user_id", "bucket"],
  clustering: [{ column: "post_id", order: "desc" }],
});

export const homeTimeline = new BucketedList({
  name: "home_timeline",
  table: timeline,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (userId, bucket) => ({ user_id: userId, bucket }),
  position: (row) => [row.post_id],
  at: ([postId]) => ({ post_id: postId }),
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
    /** "close_friends": the job delivers to the author's close friends who follow them, not to every follower. */
    audience: "text",
  },
  partitionKey: ["shard"],
  clustering: [{ column: "post_id", order: "asc" }],
  transient: true,
});

/** Who works on a fan-out job now: taken with insert-if-absent, kept alive by a short TTL. */
export const fanoutLeases = defineTable({
  name: "fanout_leases",
  columns: { post_id: "id", holder: "text" },
  partitionKey: ["post_id"],
  ttlSeconds: 30,
  conditional: true,
});

/** Accounts with followers at or above the threshold: read at feed time instead of fanned out. */
export const celebrities = defineTable({
  name: "celebrities",
  columns: { bucket: "int", user_id: "id", since: "timestamp" },
  partitionKey: ["bucket"],
  clustering: [{ column: "user_id", order: "asc" }],
});

export const FANOUT_SHARDS = 8;

export const timelineTables = [timeline, fanoutJobs, fanoutLeases, celebrities, listBuckets] as const;
