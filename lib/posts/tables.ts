import { defineTable } from "../store/schema";

/** A user's posts, newest first: the author's partition. */
export const posts = defineTable({
  name: "posts",
  columns: {
    author_id: "id",
    post_id: "id",
    caption: "text",
    /** JSON arrays, written once with the post. */
    hashtags: "text",
    mentions: "text",
    media_ids: "text",
    created_at: "timestamp",
  },
  partitionKey: ["author_id"],
  clustering: [{ column: "post_id", order: "desc" }],
});

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
});

export const postTables = [posts, postAuthors, mediaClaims] as const;
