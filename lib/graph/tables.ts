import { defineTable } from "../store/schema";
import { BucketedList, listBuckets } from "../validation/bucketed-list";
import { MONTHLY, TimeBuckets } from "../validation/time-buckets";

/**
 * The follow graph. An edge is written twice as lookup rows, each keyed by the pair of users and so its own
 * partition (a user with millions of followers has no partition of millions: issue #9), and listed a third and
 * fourth time in time order; `edge_id` is a fresh Snowflake id per edge, so it orders the lists and ties a lookup
 * row to its list rows. The lookup rows answer only "does A follow B" (or request, or block); everything that
 * enumerates a user's edges (lists, fan-out, recounts) walks the lists, which are bucketed by the month of the
 * edge (lib/validation/bucketed-list.ts), so a partition of them holds one month of one user's new follows,
 * followers or requests.
 *
 * Follower and followee counts live in `user_counts` (lib/accounts/tables.ts).
 */

/** `user_id` follows `followee_id`. This row is the one that decides "does A follow B". */
export const following = defineTable({
  name: "following_by_pair",
  columns: { user_id: "id", followee_id: "id", since: "timestamp", edge_id: "id" },
  partitionKey: ["user_id", "followee_id"],
  conditional: true,
});

/**
 * `follower_id` follows `user_id`: the mirror of `following`. It outlives a deciding row removed by an unfollow
 * that crashed, and its `edge_id` is then what finds the list rows left behind.
 */
export const followers = defineTable({
  name: "followers_by_pair",
  columns: { user_id: "id", follower_id: "id", since: "timestamp", edge_id: "id" },
  partitionKey: ["user_id", "follower_id"],
});

/** Whom `user_id` follows, newest first. */
export const followingByTime = defineTable({
  name: "following_by_time_b",
  columns: { user_id: "id", bucket: "int", edge_id: "id", followee_id: "id" },
  partitionKey: ["user_id", "bucket"],
  clustering: [
    { column: "edge_id", order: "desc" },
    { column: "followee_id", order: "asc" },
  ],
});

export const followingList = new BucketedList({
  name: "following",
  table: followingByTime,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (userId, bucket) => ({ user_id: userId, bucket }),
  position: (row) => [row.edge_id],
  at: ([edgeId]) => ({ edge_id: edgeId }),
});

/** Who follows `user_id`, newest first. */
export const followersByTime = defineTable({
  name: "followers_by_time_b",
  columns: { user_id: "id", bucket: "int", edge_id: "id", follower_id: "id" },
  partitionKey: ["user_id", "bucket"],
  clustering: [
    { column: "edge_id", order: "desc" },
    { column: "follower_id", order: "asc" },
  ],
});

export const followersList = new BucketedList({
  name: "followers",
  table: followersByTime,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (userId, bucket) => ({ user_id: userId, bucket }),
  position: (row) => [row.edge_id],
  at: ([edgeId]) => ({ edge_id: edgeId }),
});

/** A pending request of `requester_id` to follow the private account `user_id`. Decides "is it pending". */
export const followRequests = defineTable({
  name: "follow_requests_by_pair",
  columns: { user_id: "id", requester_id: "id", since: "timestamp", edge_id: "id" },
  partitionKey: ["user_id", "requester_id"],
  conditional: true,
});

/** The pending requests to `user_id`, newest first. */
export const followRequestsByTime = defineTable({
  name: "follow_requests_by_time_b",
  columns: { user_id: "id", bucket: "int", edge_id: "id", requester_id: "id" },
  partitionKey: ["user_id", "bucket"],
  clustering: [
    { column: "edge_id", order: "desc" },
    { column: "requester_id", order: "asc" },
  ],
});

export const followRequestsList = new BucketedList({
  name: "follow_requests",
  table: followRequestsByTime,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (userId, bucket) => ({ user_id: userId, bucket }),
  position: (row) => [row.edge_id],
  at: ([edgeId]) => ({ edge_id: edgeId }),
});

/**
 * A request `user_id` sent to `target_id` that is still pending: the requester's half of the request, whose
 * `edge_id` finds the list row when a withdrawal cut short left it without its deciding row.
 */
export const requestsSent = defineTable({
  name: "requests_sent_by_pair",
  columns: { user_id: "id", target_id: "id", since: "timestamp", edge_id: "id" },
  partitionKey: ["user_id", "target_id"],
});

/** `user_id` blocks `blocked_id`. This row decides the block. */
export const blocks = defineTable({
  name: "blocks_by_pair",
  columns: { user_id: "id", blocked_id: "id", since: "timestamp" },
  partitionKey: ["user_id", "blocked_id"],
});

/** `blocker_id` blocks `user_id`: the mirror of `blocks`. */
export const blockedBy = defineTable({
  name: "blockers_by_pair",
  columns: { user_id: "id", blocker_id: "id", since: "timestamp" },
  partitionKey: ["user_id", "blocker_id"],
});

/**
 * Everyone `user_id` blocks or is blocked by, for readers that must leave all of them out at once (search filters
 * inside the query). Written after the deciding row and removed before it, so a crash in between leaves the list
 * short of a block in force, never naming one that is not; those readers check each result again. Bounded by
 * what one person blocks: a list read stops at a maximum.
 */
export const blockLists = defineTable({
  name: "block_lists",
  columns: { user_id: "id", other_id: "id", direction: "text" },
  partitionKey: ["user_id"],
  clustering: [{ column: "other_id", order: "asc" }],
});

/**
 * How many times a user's edges changed (follows, requests, blocks, either way). A reader that keeps what it
 * learnt of a user's edges (the feed: lib/timeline/viewer-relations.ts) reads this one row per request and keeps
 * its knowledge only while the count is the one it learnt it under. Bumped after every change's writes, so a
 * count read before a change is never paired with knowledge read after it for long.
 */
export const graphChanges = defineTable({
  name: "graph_changes",
  columns: { user_id: "id", changes: "counter" },
  partitionKey: ["user_id"],
  counter: true,
});

/**
 * The people `user_id` keeps as close friends: they alone see the posts and stories the user shares with
 * `audience: "close_friends"`. A row per friend in one partition per user, which answers both "is B a close
 * friend of A" (a point read) and the list; bounded by MAX_CLOSE_FRIENDS (lib/graph/close-friends.ts).
 */
export const closeFriends = defineTable({
  name: "close_friends",
  columns: { user_id: "id", friend_id: "id", added_at: "timestamp" },
  partitionKey: ["user_id"],
  clustering: [{ column: "friend_id", order: "asc" }],
});

/**
 * Whom `user_id` mutes: their posts and stories leave the muter's feeds, reels and explore, and they notify the
 * muter of nothing, without being told. `until` is absent for a mute without end; a mute for a time is also
 * written with that TTL, so the store forgets it when it ends. One partition per muter, bounded by MAX_MUTES
 * (lib/graph/mutes.ts).
 */
export const mutes = defineTable({
  name: "mutes",
  columns: { user_id: "id", muted_id: "id", since: "timestamp", until: "timestamp" },
  partitionKey: ["user_id"],
  clustering: [{ column: "muted_id", order: "asc" }],
});

/**
 * The reverse lists an account's erasure walks to find the rows that name it in others' partitions: the requests
 * it sent, the lists of close friends it is on, the accounts that mute it. Each is written beside the row it
 * mirrors and removed with it; a row left by a crash in between only costs the erasure a no-op.
 */
export const requestsSentList = defineTable({
  name: "requests_sent",
  columns: { user_id: "id", target_id: "id" },
  partitionKey: ["user_id"],
  clustering: [{ column: "target_id", order: "asc" }],
});

export const closeFriendOf = defineTable({
  name: "close_friend_of",
  columns: { user_id: "id", owner_id: "id" },
  partitionKey: ["user_id"],
  clustering: [{ column: "owner_id", order: "asc" }],
});

export const mutedBy = defineTable({
  name: "muted_by",
  columns: { user_id: "id", muter_id: "id" },
  partitionKey: ["user_id"],
  clustering: [{ column: "muter_id", order: "asc" }],
});

/** The graph's own tables; `user_counts` is opened with the account tables. */
export const graphTables = [
  graphChanges,
  following,
  followers,
  followingByTime,
  followersByTime,
  followRequests,
  followRequestsByTime,
  requestsSent,
  blocks,
  blockedBy,
  blockLists,
  closeFriends,
  mutes,
  requestsSentList,
  closeFriendOf,
  mutedBy,
  listBuckets,
] as const;
