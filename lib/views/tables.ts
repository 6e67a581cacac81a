import { defineTable } from "../store/schema";

/** Views and video plays of a post, counted: written by each node's flush, never per view. */
export const postViewCounts = defineTable({
  name: "post_view_counts",
  columns: { post_id: "id", views: "counter", plays: "counter", follower_views: "counter" },
  partitionKey: ["post_id"],
  counter: true,
});

/**
 * What happened to a post hour by hour (hours since the epoch), for its author's insights: views and plays (by
 * each node's flush), likes, comments, saves and shares (one increment each as they happen). One partition per
 * post, one row per hour it saw anything.
 */
export const postHours = defineTable({
  name: "post_hours",
  columns: {
    post_id: "id",
    hour: "int",
    views: "counter",
    plays: "counter",
    follower_views: "counter",
    likes: "counter",
    comments: "counter",
    saves: "counter",
    shares: "counter",
  },
  partitionKey: ["post_id"],
  clustering: [{ column: "hour", order: "asc" }],
  counter: true,
});

/**
 * Each writer's sketch of a post's distinct viewers (lib/views/hyperloglog.ts); `writer` is one node process, so
 * no writer overwrites what another sketched, and the union of a post's rows estimates its unique viewers.
 */
export const postViewerSketches = defineTable({
  name: "post_viewer_sketches",
  columns: { post_id: "id", writer: "text", sketch: "text" },
  partitionKey: ["post_id"],
  clustering: [{ column: "writer", order: "asc" }],
});

/**
 * Likes, comments, saves and shares a post received, as they were made (undoing one does not take it back): what
 * the ranked feed reads for a post's engagement velocity, one point read per candidate.
 */
export const postActivityTotals = defineTable({
  name: "post_activity_totals",
  columns: { post_id: "id", likes: "counter", comments: "counter", saves: "counter", shares: "counter" },
  partitionKey: ["post_id"],
  counter: true,
});

export const viewTables = [postViewCounts, postHours, postViewerSketches, postActivityTotals] as const;
