import { mediaClaims } from "../posts/tables";
import { defineTable } from "../store/schema";

/** A story lives a day after it is posted. */
export const STORY_LIFETIME_SECONDS = 24 * 3600;

/**
 * Every table below expires its rows with the story (the default TTL, and each write gives its own), so an
 * expired story leaves nothing behind and no sweeper has to find it.
 */

/** A user's live stories, newest first: the author's partition. */
export const stories = defineTable({
  name: "stories",
  columns: {
    author_id: "id",
    story_id: "id",
    media_id: "id",
    created_at: "timestamp",
    expires_at: "timestamp",
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

/** Who has viewed a story; the row decides "seen" (insert-if-absent), so a viewer counts once. */
export const storyViews = defineTable({
  name: "story_views",
  columns: { story_id: "id", viewer_id: "id", view_id: "id" },
  partitionKey: ["story_id"],
  clustering: [{ column: "viewer_id", order: "asc" }],
  ttlSeconds: STORY_LIFETIME_SECONDS,
});

/** The viewers of a story, newest view first; `view_id` ties a row to its deciding row in `story_views`. */
export const storyViewersByTime = defineTable({
  name: "story_viewers_by_time",
  columns: { story_id: "id", view_id: "id", viewer_id: "id" },
  partitionKey: ["story_id"],
  clustering: [
    { column: "view_id", order: "desc" },
    { column: "viewer_id", order: "asc" },
  ],
  ttlSeconds: STORY_LIFETIME_SECONDS,
});

/** `media_claims` is shared with posts; it is listed here too so a node serving only stories opens it. */
export const storyTables = [stories, storyAuthors, storyViews, storyViewersByTime, mediaClaims] as const;
