import { defineTable } from "../store/schema";

/** Views and video plays of a post, counted: written by each node's flush, never per view. */
export const postViewCounts = defineTable({
  name: "post_view_counts",
  columns: { post_id: "id", views: "counter", plays: "counter" },
  partitionKey: ["post_id"],
  counter: true,
});

/**
 * The same, per hour since the epoch, for the author's insights; one partition per post, one row per hour it was
 * seen in (the first 48 h are what insights show, so a partition stays small for years of a post's life).
 */
export const postViewHours = defineTable({
  name: "post_view_hours",
  columns: { post_id: "id", hour: "int", views: "counter", plays: "counter" },
  partitionKey: ["post_id"],
  clustering: [{ column: "hour", order: "asc" }],
  counter: true,
});

export const viewTables = [postViewCounts, postViewHours] as const;
