import { defineTable } from "../store/schema";

/** Every media item of a user, newest first: the owner's partition holds its records. */
export const media = defineTable({
  name: "media",
  columns: {
    owner_id: "id",
    media_id: "id",
    kind: "text",
    status: "text",
    content_type: "text",
    size: "int",
    sha256: "text",
    original_key: "text",
    width: "int",
    height: "int",
    duration_ms: "int",
    blurhash: "text",
    /** JSON: { name: { key, width, height, contentType } }, written once when the media turns ready. */
    variants: "text",
    failure: "text",
    attached_to: "id",
    created_at: "timestamp",
    updated_at: "timestamp",
    /**
     * Who the media was shown to (see MediaAudience); absent: nobody but its owner. The gateway reads this row, by
     * the owner and media ids of the file's path, to decide whether a file needs a signed URL.
     */
    audience: "text",
    /** Served at its plain URL: shown to followers by an account that is public. Rewritten when it turns private. */
    is_public: "boolean",
    /** Its post or story was deleted: every URL of it answers 404, and the janitor removes its files later. */
    deleted_at: "timestamp",
    /** What it shows, for people who cannot see it (screen readers); "" or absent: none given. */
    alt_text: "text",
  },
  partitionKey: ["owner_id"],
  clustering: [{ column: "media_id", order: "desc" }],
});

/** Finds the owner of a media id (ids arrive alone in URLs); one row per partition. */
export const mediaOwners = defineTable({
  name: "media_owners",
  columns: { media_id: "id", owner_id: "id" },
  partitionKey: ["media_id"],
});

/** One user's originals by content hash, so identical bytes uploaded twice are stored once. */
export const mediaByHash = defineTable({
  name: "media_by_hash",
  columns: { owner_id: "id", sha256: "text", media_id: "id", original_key: "text" },
  partitionKey: ["owner_id"],
  clustering: [{ column: "sha256", order: "asc" }],
  conditional: true,
});

/**
 * Transcoding work not yet finished, spread over a few partitions. A job row is written before the job is
 * sent and deleted when its result is recorded, so a job whose transcoder (or whose sender) died is found
 * and sent again.
 */
export const transcodeJobs = defineTable({
  name: "transcode_jobs",
  columns: { shard: "int", media_id: "id", owner_id: "id", attempts: "int", sent_at: "timestamp" },
  partitionKey: ["shard"],
  clustering: [{ column: "media_id", order: "asc" }],
});

/** A resumable upload in progress; it expires with its row when abandoned. */
export const uploads = defineTable({
  name: "uploads",
  columns: {
    upload_id: "id",
    owner_id: "id",
    filename: "text",
    size: "int",
    content_type: "text",
    sha256: "text",
    part_size: "int",
    part_count: "int",
    blob_key: "text",
    multipart_id: "text",
    media_id: "id",
    created_at: "timestamp",
    /** The alt text given when the upload started, set on the media once it is complete. */
    alt_text: "text",
  },
  partitionKey: ["upload_id"],
  ttlSeconds: 24 * 3600,
});

/** Uploads started per day, so a janitor can abort the multipart uploads of abandoned ones. */
export const uploadsByDay = defineTable({
  name: "uploads_by_day",
  columns: { day: "int", upload_id: "id", blob_key: "text", multipart_id: "text" },
  partitionKey: ["day"],
  clustering: [{ column: "upload_id", order: "asc" }],
  ttlSeconds: 3 * 24 * 3600,
});

/** Media deleted per day, so the janitor finds the files to remove by reading a few partitions, not a scan. */
export const mediaDeletions = defineTable({
  name: "media_deletions",
  columns: { day: "int", media_id: "id", owner_id: "id", deleted_at: "timestamp" },
  partitionKey: ["day"],
  clustering: [{ column: "media_id", order: "asc" }],
});

export const JOB_SHARDS = 8;

/** How long a failed job stays listed for operators to retry; the media row keeps its failure after that. */
const FAILED_LISTED_SECONDS = 90 * 24 * 3600;

/**
 * Media whose transcoding failed for good, spread like the jobs, for operators to list and retry. Written with
 * the media row's failure, deleted when a retry succeeds.
 */
export const failedTranscodes = defineTable({
  name: "failed_transcodes",
  columns: {
    shard: "int",
    media_id: "id",
    owner_id: "id",
    kind: "text",
    reason: "text",
    failed_at: "timestamp",
  },
  partitionKey: ["shard"],
  clustering: [{ column: "media_id", order: "asc" }],
  ttlSeconds: FAILED_LISTED_SECONDS,
});

export const mediaTables = [
  media,
  mediaOwners,
  mediaByHash,
  transcodeJobs,
  failedTranscodes,
  uploads,
  uploadsByDay,
  mediaDeletions,
] as const;
