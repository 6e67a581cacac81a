import { mediaClaims } from "../posts/tables";
import { defineTable } from "../store/schema";
import { BucketedList, listBuckets } from "../validation/bucketed-list";
import { HOURLY, TimeBuckets } from "../validation/time-buckets";

/** A story lives a day after it is posted. */
export const STORY_LIFETIME_SECONDS = 24 * 3600;

/**
 * Every table below expires its rows with the story (the default TTL, and each write gives its own), so an
 * expired story leaves nothing behind and no sweeper has to find it.
 */

/**
 * A user's live stories, newest first: the author's partition. Not bucketed: rows live a day and the stories quota
 * lets one author post at most 50 an hour, so a partition never holds more than a day of them (≤ 1,200).
 */
export const stories = defineTable({
  name: "stories",
  columns: {
    author_id: "id",
    story_id: "id",
    media_id: "id",
    created_at: "timestamp",
    expires_at: "timestamp",
    /** "close_friends" for a story shared with the author's close friends only; absent for everyone. */
    audience: "text",
  },
  partitionKey: ["author_id"],
  clustering: [{ column: "story_id", order: "desc" }],
  ttlSeconds: STORY_LIFETIME_SECONDS,
});

/** Finds the author of a story id (ids arrive alone in URLs). */
export const storyAuthors = defineTable({
  name: "story_authors",
  columns: { story_id: "id", author_id: "id" },
  partitionKey: ["story_id"],
  ttlSeconds: STORY_LIFETIME_SECONDS,
});

/**
 * Whether a viewer has seen a story; the row decides "seen" (insert-if-absent), so a viewer counts once. One row
 * per (story, viewer) pair, its own partition: a story seen by millions in its day has no partition of millions.
 */
export const storyViews = defineTable({
  name: "story_views_by_pair",
  columns: { story_id: "id", viewer_id: "id", view_id: "id" },
  partitionKey: ["story_id", "viewer_id"],
  ttlSeconds: STORY_LIFETIME_SECONDS,
});

/**
 * The viewers of a story, newest view first, one hour of views per partition (a story has at most 25 of them);
 * `view_id` ties a row to its deciding row in `story_views_by_pair`.
 */
export const storyViewersByTime = defineTable({
  name: "story_viewers_by_time_b",
  columns: { story_id: "id", bucket: "int", view_id: "id", viewer_id: "id" },
  partitionKey: ["story_id", "bucket"],
  clustering: [
    { column: "view_id", order: "desc" },
    { column: "viewer_id", order: "asc" },
  ],
  ttlSeconds: STORY_LIFETIME_SECONDS,
});

export const storyViewers = new BucketedList({
  name: "story_viewers",
  table: storyViewersByTime,
  buckets: new TimeBuckets(HOURLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (storyId, bucket) => ({ story_id: storyId, bucket }),
  position: (row) => [row.view_id],
  at: ([viewId]) => ({ view_id: viewId }),
  rowTtlSeconds: STORY_LIFETIME_SECONDS,
});

/** `media_claims` is shared with posts; it is listed here too so a node serving only stories opens it. */
export const storyTables = [
  stories,
  storyAuthors,
  storyViews,
  storyViewersByTime,
  mediaClaims,
  listBuckets,
] as const;
