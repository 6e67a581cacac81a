import { defineTable } from "../store/schema";

/**
 * How much a reader engages with an author: their likes and comments on the author's posts and the messages they
 * sent them, counted as they happen. One partition per reader, one row per author they engaged with; the ranked
 * feed reads the reader's partition once per ranking.
 */
export const affinities = defineTable({
  name: "affinities",
  columns: { user_id: "id", author_id: "id", likes: "counter", comments: "counter", messages: "counter" },
  partitionKey: ["user_id"],
  clustering: [{ column: "author_id", order: "asc" }],
  counter: true,
});

export const rankingTables = [affinities] as const;
