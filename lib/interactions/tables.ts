import { defineTable } from "../store/schema";
import { BucketedList, listBuckets } from "../validation/bucketed-list";
import { MONTHLY, TimeBuckets } from "../validation/time-buckets";

/**
 * Likes, comments and saves. A deciding row ("does this user like / save this post") is its own partition, keyed
 * by the (user, post) pair: insert-if-absent on it is a lightweight transaction in Cassandra, whose Paxos round
 * serialises per partition, so a post liked by thousands at once must not be the partition that decides, and a
 * user's millions of likes over the years must not pile up in one partition either. Lists shown to others are
 * bucketed by month (lib/validation/bucketed-list.ts), ordered by a Snowflake id taken when the row was made, so a
 * page cursor (the last key read) never moves as rows arrive.
 */

/** `user_id` likes `post_id`; `like_id` names this like, so a like after an unlike is a new one. One row. */
export const likes = defineTable({
  name: "likes_by_pair",
  columns: { user_id: "id", post_id: "id", like_id: "id", liked_at: "timestamp" },
  partitionKey: ["user_id", "post_id"],
  conditional: true,
});

/** Who likes `post_id`, newest first: one month of a post's likes per partition. */
export const likesByTime = defineTable({
  name: "likes_by_time_b",
  columns: { post_id: "id", bucket: "int", like_id: "id", user_id: "id" },
  partitionKey: ["post_id", "bucket"],
  clustering: [
    { column: "like_id", order: "desc" },
    { column: "user_id", order: "asc" },
  ],
});

export const postLikers = new BucketedList({
  name: "post_likers",
  table: likesByTime,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (postId, bucket) => ({ post_id: postId, bucket }),
  position: (row) => [row.like_id],
  at: ([likeId]) => ({ like_id: likeId }),
});

export const postCounts = defineTable({
  name: "post_counts",
  columns: { post_id: "id", likes: "counter", comments: "counter" },
  partitionKey: ["post_id"],
  counter: true,
});

/** A post's comments, oldest first, one month per partition. `mentions` is a JSON array of user ids, written once. */
export const comments = defineTable({
  name: "comments_b",
  columns: {
    post_id: "id",
    bucket: "int",
    comment_id: "id",
    author_id: "id",
    text: "text",
    reply_to_id: "id",
    mentions: "text",
    created_at: "timestamp",
  },
  partitionKey: ["post_id", "bucket"],
  clustering: [{ column: "comment_id", order: "asc" }],
  conditional: true,
});

export const postComments = new BucketedList({
  name: "post_comments",
  table: comments,
  buckets: new TimeBuckets(MONTHLY),
  order: "oldest-first",
  positionWidth: 1,
  partition: (postId, bucket) => ({ post_id: postId, bucket }),
  position: (row) => [row.comment_id],
  at: ([commentId]) => ({ comment_id: commentId }),
});

/**
 * What `author_id` commented, newest first, by post: "your comments", and what an account's export and erasure
 * walk. Written before the comment and removed after it, so a row may name a comment that is gone (readers check).
 */
export const authorCommentsByTime = defineTable({
  name: "author_comments_b",
  columns: { author_id: "id", bucket: "int", comment_id: "id", post_id: "id" },
  partitionKey: ["author_id", "bucket"],
  clustering: [{ column: "comment_id", order: "desc" }],
});

export const authorComments = new BucketedList({
  name: "author_comments",
  table: authorCommentsByTime,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (authorId, bucket) => ({ author_id: authorId, bucket }),
  position: (row) => [row.comment_id],
  at: ([commentId]) => ({ comment_id: commentId }),
});

/** Finds the post of a comment id (DELETE /api/comments/:id names the comment alone). */
export const commentPosts = defineTable({
  name: "comment_posts",
  columns: { comment_id: "id", post_id: "id" },
  partitionKey: ["comment_id"],
});

/** `user_id` saved `post_id`; `save_id` ties it to its row in `saves_by_time_b`. One row. */
export const saves = defineTable({
  name: "saves_by_pair",
  columns: { user_id: "id", post_id: "id", save_id: "id", saved_at: "timestamp" },
  partitionKey: ["user_id", "post_id"],
  conditional: true,
});

/** What `user_id` saved, most recent first, with the author so a page is hydrated without lookups. */
export const savesByTime = defineTable({
  name: "saves_by_time_b",
  columns: { user_id: "id", bucket: "int", save_id: "id", post_id: "id", author_id: "id" },
  partitionKey: ["user_id", "bucket"],
  clustering: [
    { column: "save_id", order: "desc" },
    { column: "post_id", order: "asc" },
  ],
});

export const savedPosts = new BucketedList({
  name: "saved_posts",
  table: savesByTime,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (userId, bucket) => ({ user_id: userId, bucket }),
  position: (row) => [row.save_id],
  at: ([saveId]) => ({ save_id: saveId }),
});

/**
 * How many times a user liked, unliked, saved or unsaved anything. `Engagement` keeps what it read of a viewer's
 * likes and saves while this count stays the same; every change bumps it before it answers.
 */
export const markChanges = defineTable({
  name: "mark_changes",
  columns: { user_id: "id", changes: "counter" },
  partitionKey: ["user_id"],
  counter: true,
});

/**
 * What `user_id` liked, newest like first, with the author so a page is hydrated without lookups: "posts you've
 * liked", and what an account's export and erasure walk. Written beside `likes_by_time_b`, by the same paths.
 */
export const userLikesByTime = defineTable({
  name: "user_likes_b",
  columns: { user_id: "id", bucket: "int", like_id: "id", post_id: "id", author_id: "id" },
  partitionKey: ["user_id", "bucket"],
  clustering: [
    { column: "like_id", order: "desc" },
    { column: "post_id", order: "asc" },
  ],
});

export const likedPosts = new BucketedList({
  name: "liked_posts",
  table: userLikesByTime,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (userId, bucket) => ({ user_id: userId, bucket }),
  position: (row) => [row.like_id],
  at: ([likeId]) => ({ like_id: likeId }),
});

/**
 * Who saved each post: what a post's erasure walks to remove the saves others made of it (the saver's own rows
 * are keyed by the saver). Written beside each save's deciding row, removed with it.
 */
export const postSavers = defineTable({
  name: "post_savers",
  columns: { post_id: "id", user_id: "id" },
  partitionKey: ["post_id"],
  clustering: [{ column: "user_id", order: "asc" }],
});

/** What `Engagement` reads; opened wherever posts are served. */
export const engagementTables = [likes, saves, postCounts, markChanges] as const;

export const interactionTables = [
  ...engagementTables,
  likesByTime,
  userLikesByTime,
  comments,
  authorCommentsByTime,
  commentPosts,
  savesByTime,
  postSavers,
  listBuckets,
] as const;
