import { defineTable } from "../store/schema";

/**
 * The follow graph. Every table is partitioned by the user who owns the row (the sharding), so every read is one
 * partition. An edge is written twice, once in each user's partition, and listed a third and fourth time in
 * time order; `edge_id` is a fresh Snowflake id per edge, so it orders the lists and ties a lookup row to its
 * list row.
 *
 * Follower and followee counts live in `user_counts` (lib/accounts/tables.ts).
 */

/** `user_id` follows `followee_id`. This row is the one that decides "does A follow B". */
export const following = defineTable({
  name: "following",
  columns: { user_id: "id", followee_id: "id", since: "timestamp", edge_id: "id" },
  partitionKey: ["user_id"],
  clustering: [{ column: "followee_id", order: "asc" }],
});

/** `follower_id` follows `user_id`: the mirror of `following`, and what fan-out pages through. */
export const followers = defineTable({
  name: "followers",
  columns: { user_id: "id", follower_id: "id", since: "timestamp", edge_id: "id" },
  partitionKey: ["user_id"],
  clustering: [{ column: "follower_id", order: "asc" }],
});

/** Whom `user_id` follows, newest first. */
export const followingByTime = defineTable({
  name: "following_by_time",
  columns: { user_id: "id", edge_id: "id", followee_id: "id" },
  partitionKey: ["user_id"],
  clustering: [
    { column: "edge_id", order: "desc" },
    { column: "followee_id", order: "asc" },
  ],
});

/** Who follows `user_id`, newest first. */
export const followersByTime = defineTable({
  name: "followers_by_time",
  columns: { user_id: "id", edge_id: "id", follower_id: "id" },
  partitionKey: ["user_id"],
  clustering: [
    { column: "edge_id", order: "desc" },
    { column: "follower_id", order: "asc" },
  ],
});

/** A pending request of `requester_id` to follow the private account `user_id`. Decides "is it pending". */
export const followRequests = defineTable({
  name: "follow_requests",
  columns: { user_id: "id", requester_id: "id", since: "timestamp", edge_id: "id" },
  partitionKey: ["user_id"],
  clustering: [{ column: "requester_id", order: "asc" }],
});

/** The pending requests to `user_id`, newest first. */
export const followRequestsByTime = defineTable({
  name: "follow_requests_by_time",
  columns: { user_id: "id", edge_id: "id", requester_id: "id" },
  partitionKey: ["user_id"],
  clustering: [
    { column: "edge_id", order: "desc" },
    { column: "requester_id", order: "asc" },
  ],
});

/** The requests `user_id` has sent and that are still pending, so the requester can see and withdraw them. */
export const requestsSent = defineTable({
  name: "requests_sent",
  columns: { user_id: "id", target_id: "id", since: "timestamp", edge_id: "id" },
  partitionKey: ["user_id"],
  clustering: [{ column: "target_id", order: "asc" }],
});

/** `user_id` blocks `blocked_id`. This row decides the block. */
export const blocks = defineTable({
  name: "blocks",
  columns: { user_id: "id", blocked_id: "id", since: "timestamp" },
  partitionKey: ["user_id"],
  clustering: [{ column: "blocked_id", order: "asc" }],
});

/** `blocker_id` blocks `user_id`: the mirror of `blocks`. */
export const blockedBy = defineTable({
  name: "blocked_by",
  columns: { user_id: "id", blocker_id: "id", since: "timestamp" },
  partitionKey: ["user_id"],
  clustering: [{ column: "blocker_id", order: "asc" }],
});

/** The graph's own tables; `user_counts` is opened with the account tables. */
export const graphTables = [
  following,
  followers,
  followingByTime,
  followersByTime,
  followRequests,
  followRequestsByTime,
  requestsSent,
  blocks,
  blockedBy,
] as const;
