import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { BlobStore } from "../blobs";
import { BlobTooLargeError } from "../blobs";
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from "../errors";
import { sniffMedia, type SniffedMedia } from "../media";
import type { TranscodeJobMetrics } from "../metrics/transcode-metrics";
import type { WideRowStore } from "../store/store";
import { limitFor, MAX_UPLOAD_BYTES, SNIFF_BYTES, describeLimit } from "./limits";
import type { MediaFileAccess } from "./media-access";
import {
  audienceOf,
  isPublicMedia,
  parseVariants,
  toMediaView,
  widerAudience,
  type MediaAudience,
  type MediaRow,
  type MediaView,
  type StoredVariant,
} from "./media-view";
import { peek } from "./peek";
import { mediaClaims } from "../posts/tables";
import type { FailedTranscode } from "./params";
import {
  failedTranscodes,
  JOB_SHARDS,
  media,
  mediaByHash,
  mediaDeletions,
  mediaOwners,
  transcodeJobs,
} from "./tables";

export interface IdSource {
  next(): Promise<string>;
}

/** What a transcoder needs to know about a job; ids only, so it travels between nodes cheaply. */
export interface TranscodeJob {
  mediaId: string;
  ownerId: string;
  kind: "image" | "video";
  originalKey: string;
}

/** What a transcoder hands back. */
export interface TranscodeResult {
  width: number;
  height: number;
  durationMs?: number;
  blurhash?: string;
  variants: Record<string, StoredVariant>;
}

export interface MediaLibraryDeps {
  store: WideRowStore;
  blobs: BlobStore;
  ids: IdSource;
  /** Sends a job to a transcoder; it resolves when the job is handed over, not when it is done. */
  dispatch: (job: TranscodeJob) => void;
  /** The URL anyone fetches a public stored blob at (gateway, store or CDN). */
  urlOf: (key: string) => Promise<string>;
  /**
   * A URL of a blob that is not public, good for a limited time (signed by the gateway's key, or presigned by the
   * store). Absent (unit tests): `urlOf`.
   */
  privateUrlOf?: (key: string) => Promise<string>;
  /** This node's cache of the gateway's access decisions, told at once of every change made here. */
  fileAccess?: MediaFileAccess;
  /** Forgets cached media views (the posts' cache) whose URLs a change of access turned stale. */
  forgetView?: (mediaId: string) => Promise<void>;
  /** A media of this post got a new alt text: the post is searched by it (a search job for the post). */
  described?: (postId: string) => Promise<void>;
  /** How long the files of deleted media stay before the janitor removes them. */
  deleteGraceMs?: number;
  now?: () => number;
  /** Where a media node reports the unfinished jobs its resumer finds, and media that failed for good. */
  metrics?: TranscodeJobMetrics;
}

const DAY_MS = 24 * 3600_000;
/** Days of deletions the janitor looks back over beyond the grace: it catches up after a few days down. */
const SWEEP_SLACK_DAYS = 7;

/**
 * Media records and their life: stored originals, sniffed and bounded on the way in, deduplicated by content,
 * handed to transcoders through a durable job row, and turned `ready` or `failed` by the result.
 */
export class MediaLibrary {
  private readonly now: () => number;

  constructor(private readonly deps: MediaLibraryDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Stores an upload streamed in (never held whole): the first bytes decide what it is, the size limit of that
   * kind applies while it streams, and a claimed type that the bytes contradict is refused.
   */
  async ingest(
    ownerId: string,
    source: Readable,
    claimedType?: string,
    altText?: string,
  ): Promise<MediaView> {
    const { head, stream } = await peek(source, SNIFF_BYTES);
    const sniffed = this.checkType(head, claimedType, () => stream.resume());
    const mediaId = await this.deps.ids.next();
    const originalKey = originalKeyOf(ownerId, mediaId);
    let stored;
    try {
      stored = await this.deps.blobs.put(originalKey, stream, {
        contentType: sniffed.contentType,
        maxBytes: limitFor(sniffed.kind),
      });
    } catch (err: unknown) {
      stream.resume();
      if (err instanceof BlobTooLargeError) throw tooLarge(sniffed.kind);
      throw err;
    }
    const made = await this.record(ownerId, mediaId, sniffed, {
      key: originalKey,
      size: stored.size,
      sha256: stored.sha256,
    });
    return altText === undefined || altText === "" ? made : this.describe(ownerId, made.id, altText);
  }

  /** Creates the record of an original already in the blob store (a finished resumable or direct upload). */
  async adopt(
    ownerId: string,
    mediaId: string,
    originalKey: string,
    expected: { size?: number; sha256?: string; claimedType?: string },
  ): Promise<MediaView> {
    const info = await this.deps.blobs.head(originalKey);
    if (info === undefined) throw new BadRequestError("UPLOAD_MISSING", "no uploaded bytes were found");
    const headBlob = await this.deps.blobs.get(originalKey, { start: 0, end: SNIFF_BYTES - 1 });
    const head = headBlob ? await readAll(headBlob.body) : Buffer.alloc(0);
    let sniffed: SniffedMedia;
    try {
      sniffed = this.checkType(head, expected.claimedType, () => undefined);
      if (info.size > limitFor(sniffed.kind)) throw tooLarge(sniffed.kind);
      if (expected.size !== undefined && info.size !== expected.size) {
        throw new BadRequestError("SIZE_MISMATCH", `expected ${expected.size} bytes, received ${info.size}`);
      }
    } catch (err) {
      await this.deps.blobs.delete(originalKey);
      throw err;
    }
    const sha256 = await this.hashOf(originalKey);
    if (expected.sha256 !== undefined && expected.sha256 !== sha256) {
      await this.deps.blobs.delete(originalKey);
      throw new BadRequestError("SHA256_MISMATCH", "the uploaded bytes do not have the declared sha256");
    }
    return this.record(ownerId, mediaId, sniffed, { key: originalKey, size: info.size, sha256 });
  }

  async get(viewerId: string, mediaId: string): Promise<MediaView> {
    const row = await this.find(mediaId);
    // Until media are attached to posts and stories, an item is its owner's alone.
    if (row === undefined || row.owner_id !== viewerId || row.deleted_at !== undefined)
      throw new NotFoundError("MEDIA_NOT_FOUND", "no such media");
    return this.view(row);
  }

  /**
   * Sets the alt text of one of the caller's media ("" removes it), whether posted yet or not. Its views are
   * forgotten so that posts show the new text at once, and the post holding it is searched by its words anew.
   */
  async describe(ownerId: string, mediaId: string, altText: string): Promise<MediaView> {
    const row = await this.find(mediaId);
    if (row === undefined || row.owner_id !== ownerId || row.deleted_at !== undefined)
      throw new NotFoundError("MEDIA_NOT_FOUND", "no such media");
    await this.deps.store.put(media, {
      owner_id: ownerId,
      media_id: mediaId,
      alt_text: altText,
      updated_at: new Date(this.now()),
    });
    await this.forget(ownerId, mediaId);
    const claim = await this.deps.store.get(mediaClaims, { media_id: mediaId });
    if (claim?.owner_kind === "post" && claim.owner_id !== undefined)
      await this.deps.described?.(claim.owner_id);
    return this.view({ ...row, alt_text: altText });
  }

  /**
   * An image of the owner as an avatar: the URL of its `small` variant, null while it is processing; null
   * altogether (not an object) when the id names no image of theirs.
   */
  async avatarOf(ownerId: string, mediaId: string): Promise<{ url: string | null } | null> {
    const row = await this.deps.store.get(media, { owner_id: ownerId, media_id: mediaId });
    if (row?.kind !== "image" || row.status === "failed" || row.deleted_at !== undefined) return null;
    const small = parseVariants(row.variants).small;
    return { url: row.status === "ready" && small ? await this.urlsOf(row)(small.key) : null };
  }

  /** The view with URLs for this row: plain when it is public, else signed and expiring (minted for each answer). */
  async view(row: MediaRow): Promise<MediaView> {
    return toMediaView(row, this.urlsOf(row));
  }

  /**
   * Records who the media are shown to, when they join a post, a story, a message or a profile; `ownerIsPrivate`
   * is the owner's privacy now. An audience only widens: a media in a post and also in a message stays public.
   */
  async attach(
    ownerId: string,
    mediaIds: readonly string[],
    audience: Exclude<MediaAudience, "owner">,
    ownerIsPrivate: boolean,
  ): Promise<void> {
    await Promise.all(
      mediaIds.map(async (mediaId) => {
        const row = await this.deps.store.get(media, { owner_id: ownerId, media_id: mediaId });
        if (row === undefined || row.deleted_at !== undefined) return;
        const wider = widerAudience(audienceOf(row), audience);
        await this.deps.store.put(media, {
          owner_id: ownerId,
          media_id: mediaId,
          audience: wider,
          is_public: wider === "followers" && !ownerIsPrivate,
          updated_at: new Date(this.now()),
        });
        await this.forget(ownerId, mediaId);
      }),
    );
  }

  /**
   * An owner turned private (or public): their media shown to followers stop (or start) being served at plain
   * URLs. Reads the owner's media partition once; a few thousand rows for a prolific owner.
   */
  async setOwnerPrivacy(ownerId: string, isPrivate: boolean): Promise<void> {
    let pageToken: string | undefined;
    do {
      const page = await this.deps.store.slice(media, { owner_id: ownerId }, { limit: 500, pageToken });
      for (const row of page.rows) {
        if (audienceOf(row) !== "followers" || row.deleted_at !== undefined) continue;
        if (row.is_public === !isPrivate) continue;
        await this.deps.store.put(media, {
          owner_id: ownerId,
          media_id: row.media_id,
          is_public: !isPrivate,
          updated_at: new Date(this.now()),
        });
        await this.forget(ownerId, row.media_id);
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /**
   * The media of a deleted post or story: every URL of them answers 404 from now on (after the few seconds a
   * gateway on another node may remember them), and the janitor removes the files after the grace period.
   */
  async markDeleted(ownerId: string, mediaIds: readonly string[]): Promise<void> {
    const deletedAt = new Date(this.now());
    await Promise.all(
      mediaIds.map(async (mediaId) => {
        // The janitor's entry first: a media marked deleted is then always found by it.
        await this.deps.store.put(mediaDeletions, {
          day: dayOf(deletedAt.getTime()),
          media_id: mediaId,
          owner_id: ownerId,
          deleted_at: deletedAt,
        });
        const row = await this.deps.store.get(media, { owner_id: ownerId, media_id: mediaId });
        if (row === undefined || row.deleted_at !== undefined) return;
        await this.deps.store.put(media, {
          owner_id: ownerId,
          media_id: mediaId,
          is_public: false,
          deleted_at: deletedAt,
          updated_at: deletedAt,
        });
        await this.forget(ownerId, mediaId);
      }),
    );
  }

  /**
   * The janitor: removes the files and records of media deleted longer than the grace period ago. The original
   * goes too (a copy made from the same bytes has its own variants, and needs the original only to transcode
   * again); the dedup claim goes with it when it names this media, so new uploads of those bytes start afresh.
   */
  async sweepDeleted(): Promise<number> {
    const grace = this.deps.deleteGraceMs ?? DAY_MS;
    const cutoff = this.now() - grace;
    let removed = 0;
    const lastDay = dayOf(cutoff);
    const firstDay = lastDay - Math.ceil(grace / DAY_MS) - SWEEP_SLACK_DAYS;
    for (let day = firstDay; day <= lastDay; day++) {
      let pageToken: string | undefined;
      do {
        const page = await this.deps.store.slice(mediaDeletions, { day }, { limit: 500, pageToken });
        for (const entry of page.rows) {
          if (entry.owner_id === undefined || (entry.deleted_at?.getTime() ?? 0) > cutoff) continue;
          await this.purge(entry.owner_id, entry.media_id);
          await this.deps.store.delete(mediaDeletions, { day, media_id: entry.media_id });
          removed++;
        }
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    return removed;
  }

  private async purge(ownerId: string, mediaId: string): Promise<void> {
    const row = await this.deps.store.get(media, { owner_id: ownerId, media_id: mediaId });
    if (row === undefined || row.deleted_at === undefined) return;
    const own = `media/${ownerId}/${mediaId}/`;
    for (const variant of Object.values(parseVariants(row.variants))) {
      // Variants copied from another upload live under that upload's folder: they are its files, not these.
      if (variant.key.startsWith(own)) await this.deps.blobs.delete(variant.key);
    }
    if (row.original_key === originalKeyOf(ownerId, mediaId)) {
      if (row.sha256 !== undefined) {
        await this.deps.store.deleteIf(
          mediaByHash,
          { owner_id: ownerId, sha256: row.sha256 },
          { media_id: mediaId },
        );
      }
      await this.deps.blobs.delete(row.original_key);
    }
    await this.deps.store.delete(media, { owner_id: ownerId, media_id: mediaId });
    await this.deps.store.delete(mediaOwners, { media_id: mediaId });
    await this.forget(ownerId, mediaId);
  }

  /**
   * An erasure's page of the owner's media (lib/erasure): files and records at once, whatever their state (the
   * account's posts, stories and messages are gone or no longer show them). True once none is left.
   */
  async eraseOwner(ownerId: string): Promise<boolean> {
    const { store, blobs } = this.deps;
    const { rows } = await store.slice(media, { owner_id: ownerId }, { limit: 100 });
    for (const row of rows) {
      const mediaId = row.media_id;
      const own = `media/${ownerId}/${mediaId}/`;
      for (const variant of Object.values(parseVariants(row.variants))) {
        if (variant.key.startsWith(own)) await blobs.delete(variant.key);
      }
      if (row.original_key === originalKeyOf(ownerId, mediaId)) await blobs.delete(row.original_key);
      if (row.deleted_at !== undefined) {
        await store.delete(mediaDeletions, { day: dayOf(row.deleted_at.getTime()), media_id: mediaId });
      }
      // The claim of an expired story outlives it (a media serves one post or story, ever): nothing but its media
      // leads to it any more. A post's went with the post.
      await store.deleteIf(mediaClaims, { media_id: mediaId });
      await store.delete(transcodeJobs, { shard: shardOf(mediaId), media_id: mediaId });
      await store.delete(failedTranscodes, { shard: shardOf(mediaId), media_id: mediaId });
      if (row.sha256 !== undefined) {
        await store.deleteIf(mediaByHash, { owner_id: ownerId, sha256: row.sha256 }, { media_id: mediaId });
      }
      await store.delete(mediaOwners, { media_id: mediaId });
      await store.delete(media, { owner_id: ownerId, media_id: mediaId });
      await this.forget(ownerId, mediaId);
    }
    if (rows.length > 0) return false;
    // Claims of bytes whose media went some other way (a crash between the two), one by one: a conditional table.
    const claims = await store.slice(mediaByHash, { owner_id: ownerId }, { limit: 100 });
    for (const claim of claims.rows)
      await store.deleteIf(mediaByHash, { owner_id: ownerId, sha256: claim.sha256 });
    return claims.rows.length === 0;
  }

  private urlsOf(row: MediaRow): (key: string) => Promise<string> {
    return isPublicMedia(row) ? this.deps.urlOf : (this.deps.privateUrlOf ?? this.deps.urlOf);
  }

  private async forget(ownerId: string, mediaId: string): Promise<void> {
    this.deps.fileAccess?.forget(ownerId, mediaId);
    await this.deps.forgetView?.(mediaId);
  }

  async find(mediaId: string): Promise<MediaRow | undefined> {
    const owner = await this.deps.store.get(mediaOwners, { media_id: mediaId });
    if (owner?.owner_id === undefined) return undefined;
    return this.deps.store.get(media, { owner_id: owner.owner_id, media_id: mediaId });
  }

  async recordResult(job: TranscodeJob, result: TranscodeResult): Promise<void> {
    await this.deps.store.put(media, {
      owner_id: job.ownerId,
      media_id: job.mediaId,
      status: "ready",
      width: result.width,
      height: result.height,
      ...(result.durationMs !== undefined && { duration_ms: result.durationMs }),
      ...(result.blurhash !== undefined && { blurhash: result.blurhash }),
      variants: JSON.stringify(result.variants),
      updated_at: new Date(this.now()),
    });
    await this.finishJob(job);
  }

  async recordFailure(job: TranscodeJob, reason: string): Promise<void> {
    await this.deps.store.put(media, {
      owner_id: job.ownerId,
      media_id: job.mediaId,
      status: "failed",
      failure: reason.slice(0, 500),
      updated_at: new Date(this.now()),
    });
    await this.deps.store.put(failedTranscodes, {
      shard: shardOf(job.mediaId),
      media_id: job.mediaId,
      owner_id: job.ownerId,
      kind: job.kind,
      reason: reason.slice(0, 500),
      failed_at: new Date(this.now()),
    });
    this.deps.metrics?.failed(job.kind);
    await this.finishJob(job);
  }

  /** Media whose transcoding failed for good, the most recent first (an operator's list). */
  async failedJobs(limit: number): Promise<FailedTranscode[]> {
    const found: FailedTranscode[] = [];
    for (let shard = 0; shard < JOB_SHARDS; shard++) {
      let pageToken: string | undefined;
      do {
        const page = await this.deps.store.slice(failedTranscodes, { shard }, { limit: 500, pageToken });
        for (const row of page.rows) {
          found.push({
            mediaId: row.media_id,
            ownerId: row.owner_id ?? "",
            kind: row.kind === "video" ? "video" : "image",
            reason: row.reason ?? "",
            failedAt: (row.failed_at ?? new Date(0)).toISOString(),
          });
        }
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    return found.sort((a, b) => b.failedAt.localeCompare(a.failedAt)).slice(0, limit);
  }

  /**
   * Sends a failed media to the transcoders again (after a fix to ffmpeg or to a codec's settings): processing
   * once more, with a fresh job row so the resumer keeps it going. 404 for none, 409 for one that did not fail.
   */
  async retryFailed(mediaId: string): Promise<MediaView> {
    const row = await this.find(mediaId);
    if (row === undefined || row.deleted_at !== undefined) {
      throw new NotFoundError("MEDIA_NOT_FOUND", "no such media");
    }
    if (row.status !== "failed" || row.original_key === undefined) {
      throw new ConflictError("NOT_FAILED", `media ${mediaId} is ${row.status ?? "unknown"}, not failed`);
    }
    const job: TranscodeJob = {
      mediaId,
      ownerId: row.owner_id,
      kind: row.kind === "video" ? "video" : "image",
      originalKey: row.original_key,
    };
    await this.deps.store.put(media, {
      owner_id: row.owner_id,
      media_id: mediaId,
      status: "processing",
      failure: "",
      updated_at: new Date(this.now()),
    });
    await this.deps.store.put(transcodeJobs, {
      shard: shardOf(mediaId),
      media_id: mediaId,
      owner_id: row.owner_id,
      attempts: 0,
      sent_at: new Date(this.now()),
    });
    await this.deps.store.delete(failedTranscodes, { shard: shardOf(mediaId), media_id: mediaId });
    this.deps.dispatch(job);
    return this.view({ ...row, status: "processing", failure: "" });
  }

  /** Jobs sent longer ago than `olderThanMs` and still not finished: their transcoder or their sender died. */
  async staleJobs(olderThanMs: number): Promise<(TranscodeJob & { attempts: number })[]> {
    const now = this.now();
    const cutoff = now - olderThanMs;
    const stale: (TranscodeJob & { attempts: number })[] = [];
    // The whole queue, for the metrics: this scan reads every job row anyway.
    let queued = 0;
    let oldest: number | undefined;
    for (let shard = 0; shard < JOB_SHARDS; shard++) {
      let pageToken: string | undefined;
      do {
        const page = await this.deps.store.slice(transcodeJobs, { shard }, { limit: 500, pageToken });
        for (const row of page.rows) {
          if (row.owner_id === undefined) continue;
          const sentAt = row.sent_at?.getTime() ?? 0;
          queued++;
          if (oldest === undefined || sentAt < oldest) oldest = sentAt;
          if (sentAt > cutoff) continue;
          const record = await this.deps.store.get(media, { owner_id: row.owner_id, media_id: row.media_id });
          if (record?.original_key === undefined) {
            await this.deps.store.delete(transcodeJobs, { shard, media_id: row.media_id });
            continue;
          }
          stale.push({
            mediaId: row.media_id,
            ownerId: row.owner_id,
            kind: record.kind === "video" ? "video" : "image",
            originalKey: record.original_key,
            attempts: row.attempts ?? 0,
          });
        }
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    this.deps.metrics?.scanned(queued, oldest, now);
    return stale;
  }

  /** Sends a job again, counting the attempt (the caller gives up past its own limit). */
  async resend(job: TranscodeJob & { attempts: number }): Promise<void> {
    const { attempts, ...sent } = job;
    await this.deps.store.put(transcodeJobs, {
      shard: shardOf(job.mediaId),
      media_id: job.mediaId,
      owner_id: job.ownerId,
      attempts: attempts + 1,
      sent_at: new Date(this.now()),
    });
    // The job alone: the transcoder's params are strict, and refused every resend that carried the count.
    this.deps.dispatch(sent);
  }

  private checkType(head: Buffer, claimedType: string | undefined, drain: () => void): SniffedMedia {
    const sniffed = sniffMedia(head);
    const claimed = claimedType?.split(";")[0]?.trim().toLowerCase();
    const claimsSomething = claimed !== undefined && claimed !== "" && claimed !== "application/octet-stream";
    if (sniffed === undefined || (claimsSomething && !sameFamily(claimed, sniffed))) {
      drain();
      throw new UnsupportedMediaTypeError(
        "UNSUPPORTED_MEDIA_TYPE",
        sniffed === undefined
          ? "the file is not a JPEG, PNG, WebP, HEIC, GIF, MP4, MOV or WebM"
          : `the file is ${sniffed.contentType}, not ${claimed}`,
      );
    }
    return sniffed;
  }

  private async record(
    ownerId: string,
    mediaId: string,
    sniffed: SniffedMedia,
    original: { key: string; size: number; sha256: string },
  ): Promise<MediaView> {
    // Identical bytes from the same user: keep the first original and drop this copy.
    const claim = await this.deps.store.insertIfAbsent(mediaByHash, {
      owner_id: ownerId,
      sha256: original.sha256,
      media_id: mediaId,
      original_key: original.key,
    });
    let originalKey = original.key;
    let source: MediaRow | undefined;
    if (!claim.applied && claim.existing.original_key && claim.existing.original_key !== original.key) {
      source = await this.deps.store.get(media, {
        owner_id: ownerId,
        media_id: claim.existing.media_id ?? "",
      });
      if (source === undefined || source.deleted_at !== undefined) {
        // Its files are on their way out with it: this upload keeps its own bytes and becomes the one to share.
        source = undefined;
        await this.deps.store.updateIf(
          mediaByHash,
          { owner_id: ownerId, sha256: original.sha256, media_id: mediaId, original_key: original.key },
          { media_id: claim.existing.media_id },
        );
      } else {
        await this.deps.blobs.delete(original.key);
        originalKey = claim.existing.original_key;
      }
    }
    const now = new Date(this.now());
    // Each media gets files of its own, so that deleting one (or its access) never touches another's.
    const copied = source?.status === "ready" ? await this.copyVariants(source, ownerId, mediaId) : undefined;
    const ready = copied !== undefined;
    const row = {
      owner_id: ownerId,
      media_id: mediaId,
      kind: sniffed.kind,
      status: ready ? "ready" : "processing",
      content_type: sniffed.contentType,
      size: original.size,
      sha256: original.sha256,
      original_key: originalKey,
      created_at: now,
      updated_at: now,
      ...(ready && copyResult(source)),
      ...(copied !== undefined && { variants: JSON.stringify(copied) }),
    };
    await this.deps.store.put(mediaOwners, { media_id: mediaId, owner_id: ownerId });
    if (!ready) {
      await this.deps.store.put(transcodeJobs, {
        shard: shardOf(mediaId),
        media_id: mediaId,
        owner_id: ownerId,
        attempts: 1,
        sent_at: now,
      });
    }
    await this.deps.store.put(media, row);
    if (!ready) this.deps.dispatch({ mediaId, ownerId, kind: sniffed.kind, originalKey });
    return this.view(row);
  }

  /** The ready variants of `source` copied under `mediaId`; undefined when one is missing (then it transcodes). */
  private async copyVariants(
    source: MediaRow,
    ownerId: string,
    mediaId: string,
  ): Promise<Record<string, StoredVariant> | undefined> {
    const copies: Record<string, StoredVariant> = {};
    for (const [name, variant] of Object.entries(parseVariants(source.variants))) {
      const blob = await this.deps.blobs.get(variant.key);
      if (blob === undefined) return undefined;
      const extension = variant.key.slice(variant.key.lastIndexOf(".") + 1);
      const key = variantKeyOf(ownerId, mediaId, name, extension);
      try {
        await this.deps.blobs.put(key, blob.body, { contentType: blob.info.contentType });
      } finally {
        blob.body.destroy();
      }
      copies[name] = { ...variant, key };
    }
    return copies;
  }

  private async finishJob(job: TranscodeJob): Promise<void> {
    await this.deps.store.delete(transcodeJobs, { shard: shardOf(job.mediaId), media_id: job.mediaId });
  }

  private async hashOf(key: string): Promise<string> {
    const blob = await this.deps.blobs.get(key);
    if (blob === undefined) throw new BadRequestError("UPLOAD_MISSING", "no uploaded bytes were found");
    const hash = createHash("sha256");
    for await (const chunk of blob.body) hash.update(chunk as Buffer);
    return hash.digest("hex");
  }
}

export function originalKeyOf(ownerId: string, mediaId: string): string {
  return `originals/${ownerId}/${mediaId}`;
}

export function variantKeyOf(ownerId: string, mediaId: string, name: string, extension: string): string {
  return `media/${ownerId}/${mediaId}/${name}.${extension}`;
}

function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

function shardOf(mediaId: string): number {
  return Number(BigInt(mediaId) % BigInt(JOB_SHARDS));
}

function copyResult(source: MediaRow | undefined) {
  return {
    ...(source?.width !== undefined && { width: source.width }),
    ...(source?.height !== undefined && { height: source.height }),
    ...(source?.duration_ms !== undefined && { duration_ms: source.duration_ms }),
    ...(source?.blurhash !== undefined && { blurhash: source.blurhash }),
    ...(source?.variants !== undefined && { variants: source.variants }),
  };
}

/** A claim "image/jpeg" fits JPEG bytes; "video/quicktime" fits MOV or MP4 (they share a container). */
function sameFamily(claimed: string, sniffed: SniffedMedia): boolean {
  if (claimed === sniffed.contentType) return true;
  const aliases: Record<string, string[]> = {
    "image/jpg": ["image/jpeg"],
    "image/heif": ["image/heic"],
    "image/heic": ["image/heif"],
    "video/quicktime": ["video/mp4"],
    "video/mp4": ["video/quicktime"],
    "video/x-m4v": ["video/mp4"],
  };
  return aliases[claimed]?.includes(sniffed.contentType) ?? false;
}

function tooLarge(kind: "image" | "video"): PayloadTooLargeError {
  return new PayloadTooLargeError("PAYLOAD_TOO_LARGE", `${kind}s may be at most ${describeLimit(kind)}`);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export { MAX_UPLOAD_BYTES };
