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

/**
 * Who engaged with each author (the reverse of affinities): what an author's erasure walks to remove the rows that
 * name them in readers' partitions. A plain write beside each count, skipped when this node wrote it lately.
 */
export const affinityReaders = defineTable({
  name: "affinity_readers",
  columns: { author_id: "id", user_id: "id" },
  partitionKey: ["author_id"],
  clustering: [{ column: "user_id", order: "asc" }],
});

export const rankingTables = [affinities, affinityReaders] as const;
