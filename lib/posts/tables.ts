import { defineTable, type PrimaryKey } from "../store/schema";
import { BucketedList, listBuckets } from "../validation/bucketed-list";
import { MONTHLY, TimeBuckets } from "../validation/time-buckets";

/** A user's posts, newest first: one month of the author's posts per partition. */
export const posts = defineTable({
  name: "posts_b",
  columns: {
    author_id: "id",
    bucket: "int",
    post_id: "id",
    caption: "text",
    /** JSON arrays, written once with the post. */
    hashtags: "text",
    mentions: "text",
    media_ids: "text",
    created_at: "timestamp",
    /** When the author last edited the caption; absent if never. */
    edited_at: "timestamp",
    /** "close_friends" for a post shared with the author's close friends only; absent for everyone. */
    audience: "text",
  },
  partitionKey: ["author_id", "bucket"],
  clustering: [{ column: "post_id", order: "desc" }],
});

export const authorPosts = new BucketedList({
  name: "author_posts",
  table: posts,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (authorId, bucket) => ({ author_id: authorId, bucket }),
  position: (row) => [row.post_id],
  at: ([postId]) => ({ post_id: postId }),
});

/** The key of a post's row, for whoever reads one post by id (the feed, hydration). */
export function postKey(authorId: string, postId: string): PrimaryKey<typeof posts> {
  return { ...authorPosts.partitionOf(authorId, postId), post_id: postId };
}

/** Finds the author of a post id (ids arrive alone in URLs). */
export const postAuthors = defineTable({
  name: "post_authors",
  columns: { post_id: "id", author_id: "id" },
  partitionKey: ["post_id"],
});

/** A media item belongs to one post or story: the first to claim it wins (insert-if-absent). */
export const mediaClaims = defineTable({
  name: "media_claims",
  columns: { media_id: "id", owner_kind: "text", owner_id: "id" },
  partitionKey: ["media_id"],
  conditional: true,
});

/**
 * The posts each author deleted: a deletion leaves what others left on the post (likes, comments, saves) to be
 * skipped by the reads, and the author's erasure finds them here to remove it. Written before the post row goes.
 */
export const deletedPosts = defineTable({
  name: "deleted_posts",
  columns: { author_id: "id", post_id: "id", media_ids: "text" },
  partitionKey: ["author_id"],
  clustering: [{ column: "post_id", order: "asc" }],
});

export const postTables = [posts, postAuthors, mediaClaims, deletedPosts, listBuckets] as const;
