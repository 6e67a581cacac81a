import { defineTable } from "../store/schema";

/**
 * Likes, comments and saves. A deciding row ("does this user like / save this post") lives in the user's
 * partition: insert-if-absent on it is a lightweight transaction in Cassandra, whose Paxos round serialises
 * per partition, so a post liked by thousands at once must not be the partition that decides. Lists shown to
 * others live in the post's partition, ordered by a Snowflake id taken when the row was made, so a page
 * cursor (the last key read) never moves as rows arrive.
 */

/** `user_id` likes `post_id`; `like_id` names this like, so a like after an unlike is a new one. */
export const likes = defineTable({
  name: "likes",
  columns: { user_id: "id", post_id: "id", like_id: "id", liked_at: "timestamp" },
  partitionKey: ["user_id"],
  clustering: [{ column: "post_id", order: "asc" }],
});

/** Who likes `post_id`, newest first. */
export const likesByTime = defineTable({
  name: "likes_by_time",
  columns: { post_id: "id", like_id: "id", user_id: "id" },
  partitionKey: ["post_id"],
  clustering: [
    { column: "like_id", order: "desc" },
    { column: "user_id", order: "asc" },
  ],
});

export const postCounts = defineTable({
  name: "post_counts",
  columns: { post_id: "id", likes: "counter", comments: "counter" },
  partitionKey: ["post_id"],
  counter: true,
});

/** A post's comments, oldest first. `mentions` is a JSON array of user ids, written once. */
export const comments = defineTable({
  name: "comments",
  columns: {
    post_id: "id",
    comment_id: "id",
    author_id: "id",
    text: "text",
    reply_to_id: "id",
    mentions: "text",
    created_at: "timestamp",
  },
  partitionKey: ["post_id"],
  clustering: [{ column: "comment_id", order: "asc" }],
});

/** Finds the post of a comment id (DELETE /api/comments/:id names the comment alone). */
export const commentPosts = defineTable({
  name: "comment_posts",
  columns: { comment_id: "id", post_id: "id" },
  partitionKey: ["comment_id"],
});

/** `user_id` saved `post_id`; `save_id` ties it to its row in `saves_by_time`. */
export const saves = defineTable({
  name: "saves",
  columns: { user_id: "id", post_id: "id", save_id: "id", saved_at: "timestamp" },
  partitionKey: ["user_id"],
  clustering: [{ column: "post_id", order: "asc" }],
});

/** What `user_id` saved, most recent first, with the author so a page is hydrated without lookups. */
export const savesByTime = defineTable({
  name: "saves_by_time",
  columns: { user_id: "id", save_id: "id", post_id: "id", author_id: "id" },
  partitionKey: ["user_id"],
  clustering: [
    { column: "save_id", order: "desc" },
    { column: "post_id", order: "asc" },
  ],
});

/** What `Engagement` reads; opened wherever posts are served. */
export const engagementTables = [likes, saves, postCounts] as const;

export const interactionTables = [
  ...engagementTables,
  likesByTime,
  comments,
  commentPosts,
  savesByTime,
] as const;
