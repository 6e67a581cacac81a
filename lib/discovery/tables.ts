import { createHash } from "node:crypto";
import { defineTable } from "../store/schema";
import { BucketedList, listBuckets } from "../validation/bucketed-list";
import { HOURLY, TimeBuckets } from "../validation/time-buckets";

/**
 * Discovery's tables. Every partition holds at most one hour (or one day of hour rows) of one tag, one hour of one
 * shard of the whole service's activity, or one small snapshot: see docs/architecture.md, Bounded partitions.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Trending reads the last day against the week before it; its rows live a little longer than that. */
const TREND_ROW_TTL_SECONDS = 9 * 24 * 3600;
/** Explore reads the last day of engagement; a second day covers clocks that disagree. */
const ENGAGEMENT_TTL_SECONDS = 2 * 24 * 3600;
/** Explore's cursors carry a snapshot's generation: a page can be continued this long. */
export const SNAPSHOT_TTL_SECONDS = 6 * 3600;

/** Partitions that split one hour of the whole service's activity. */
export const ACTIVITY_SHARDS = 16;

/**
 * Posts carrying a tag, newest first, one hour of one tag per partition: a hot tag (thousands of posts an hour)
 * never makes one huge partition, and the bucket index (list_buckets) names the hours that hold posts, so a quiet
 * tag costs one read per hour it was used, not per hour of the calendar. `tag` is kept in each row because the
 * partition is named by a hash of the tag (the bucket index keys owners by a 63-bit id): a row of another tag with
 * the same hash, which the hash makes all but impossible, is skipped by readers. Conditional, so that a listing
 * and a removal each change the count once (see TagPages).
 */
export const tagPosts = defineTable({
  name: "tag_posts_b",
  columns: { tag_id: "id", bucket: "int", post_id: "id", author_id: "id", tag: "text" },
  partitionKey: ["tag_id", "bucket"],
  clustering: [{ column: "post_id", order: "desc" }],
  conditional: true,
});

export const tagPostList = new BucketedList({
  name: "tag_posts",
  table: tagPosts,
  buckets: new TimeBuckets(HOURLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (tagId, bucket) => ({ tag_id: tagId, bucket }),
  position: (row) => [row.post_id],
  at: ([postId]) => ({ post_id: postId }),
});

/** Posts listed under a tag, per hour bucket of the tag's page: what a repair recounts from that bucket's rows. */
export const tagBucketCounts = defineTable({
  name: "tag_bucket_counts",
  columns: { tag: "text", bucket: "int", posts: "counter" },
  partitionKey: ["tag", "bucket"],
  counter: true,
});

/** Posts carrying a tag now: the sum of its bucket counts, moved with them (see TagPages). */
export const tagCounts = defineTable({
  name: "tag_counts",
  columns: { tag: "text", posts: "counter" },
  partitionKey: ["tag"],
  counter: true,
});

/**
 * Who used a tag in an hour, one row per post: trending counts distinct authors from these, and a deleted post's
 * row goes with it. One hour of one tag per partition (each author at most the post quota's 50 rows).
 */
export const tagUses = defineTable({
  name: "tag_uses",
  columns: { tag: "text", hour: "int", author_id: "id", post_id: "id" },
  partitionKey: ["tag", "hour"],
  clustering: [
    { column: "author_id", order: "asc" },
    { column: "post_id", order: "asc" },
  ],
  ttlSeconds: TREND_ROW_TTL_SECONDS,
});

/**
 * The hours in which a tag was used, one day of one tag per partition (≤ 24 rows), each with its distinct authors
 * once trending has counted them. A listing or a removal writes a new `touched` token; a count is current while
 * its `computed` token is the `touched` one it was counted under, so a change during a count is counted again on
 * the next round whatever the clocks of the nodes say.
 */
export const tagHours = defineTable({
  name: "tag_hours",
  columns: {
    tag: "text",
    day: "int",
    hour: "int",
    touched: "text",
    computed: "text",
    authors: "int",
    /** JSON array of at most TREND_IDS_PER_HOUR author ids, for leaving out blocked and suspended authors. */
    author_ids: "text",
  },
  partitionKey: ["tag", "day"],
  clustering: [{ column: "hour", order: "asc" }],
  ttlSeconds: TREND_ROW_TTL_SECONDS,
});

/** The tags used in an hour, spread over ACTIVITY_SHARDS partitions: where trending finds its candidates. */
export const activeTags = defineTable({
  name: "active_tags",
  columns: { hour: "int", shard: "int", tag: "text" },
  partitionKey: ["hour", "shard"],
  clustering: [{ column: "tag", order: "asc" }],
  ttlSeconds: 2 * 24 * 3600,
});

/**
 * Likes and comments of the last hours, one row per post, person and kind per hour: a like toggled a hundred
 * times, or a hundred comments from one account, is one row. One hour of one shard of the service per partition.
 */
export const engagementEvents = defineTable({
  name: "engagement_events",
  columns: { hour: "int", shard: "int", post_id: "id", actor_id: "id", kind: "text", author_id: "id" },
  partitionKey: ["hour", "shard"],
  clustering: [
    { column: "post_id", order: "asc" },
    { column: "actor_id", order: "asc" },
    { column: "kind", order: "asc" },
  ],
  ttlSeconds: ENGAGEMENT_TTL_SECONDS,
});

/** A computed ranking (trending tags, explore), in chunks of JSON; a generation is never changed once written. */
export const discoverySnapshots = defineTable({
  name: "discovery_snapshots",
  columns: { name: "text", generation: "text", chunk: "int", data: "text" },
  partitionKey: ["name", "generation"],
  clustering: [{ column: "chunk", order: "asc" }],
  ttlSeconds: SNAPSHOT_TTL_SECONDS,
});

/** The generation of each ranking that readers use now. One row per ranking. */
export const discoveryCurrent = defineTable({
  name: "discovery_current",
  columns: { name: "text", generation: "text", computed_at: "timestamp" },
  partitionKey: ["name"],
});

/** Which node computes a ranking this round: taken with insert-if-absent, given up by its TTL. */
export const discoveryLeases = defineTable({
  name: "discovery_leases",
  columns: { name: "text", holder: "text" },
  partitionKey: ["name"],
  conditional: true,
});

export const discoveryTables = [
  tagPosts,
  tagBucketCounts,
  tagCounts,
  tagUses,
  tagHours,
  activeTags,
  engagementEvents,
  discoverySnapshots,
  discoveryCurrent,
  discoveryLeases,
  listBuckets,
] as const;

/** The owner id of a tag's page in the bucket index, which keys owners by id: 63 bits of the tag's SHA-256. */
export function tagListOwner(tag: string): string {
  const bits =
    BigInt(`0x${createHash("sha256").update(tag).digest("hex").slice(0, 16)}`) & ((1n << 63n) - 1n);
  return (bits === 0n ? 1n : bits).toString();
}

/** One of `shards` partitions for a key, spread evenly whatever the key looks like. */
export function shardOf(key: string, shards = ACTIVITY_SHARDS): number {
  return createHash("md5").update(key).digest().readUInt32BE(0) % shards;
}

export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export { HOUR_MS, DAY_MS };
