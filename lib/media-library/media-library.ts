import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { BlobStore } from "../blobs";
import { BlobTooLargeError } from "../blobs";
import { BadRequestError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../errors";
import { sniffMedia, type SniffedMedia } from "../media";
import type { WideRowStore } from "../store/store";
import { limitFor, MAX_UPLOAD_BYTES, SNIFF_BYTES, describeLimit } from "./limits";
import { parseVariants, toMediaView, type MediaRow, type MediaView, type StoredVariant } from "./media-view";
import { peek } from "./peek";
import { JOB_SHARDS, media, mediaByHash, mediaOwners, transcodeJobs } from "./tables";

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
  /** The URL clients fetch a stored blob at. */
  urlOf: (key: string) => Promise<string>;
  now?: () => number;
}

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
  async ingest(ownerId: string, source: Readable, claimedType?: string): Promise<MediaView> {
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
    return this.record(ownerId, mediaId, sniffed, {
      key: originalKey,
      size: stored.size,
      sha256: stored.sha256,
    });
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
    if (row === undefined || row.owner_id !== viewerId)
      throw new NotFoundError("MEDIA_NOT_FOUND", "no such media");
    return toMediaView(row, this.deps.urlOf);
  }

  /**
   * An image of the owner as an avatar: the URL of its `small` variant, null while it is processing; null
   * altogether (not an object) when the id names no image of theirs.
   */
  async avatarOf(ownerId: string, mediaId: string): Promise<{ url: string | null } | null> {
    const row = await this.deps.store.get(media, { owner_id: ownerId, media_id: mediaId });
    if (row?.kind !== "image" || row.status === "failed") return null;
    const small = parseVariants(row.variants).small;
    return { url: row.status === "ready" && small ? await this.deps.urlOf(small.key) : null };
  }

  async view(row: MediaRow): Promise<MediaView> {
    return toMediaView(row, this.deps.urlOf);
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
    await this.finishJob(job);
  }

  /** Jobs sent longer ago than `olderThanMs` and still not finished: their transcoder or their sender died. */
  async staleJobs(olderThanMs: number): Promise<(TranscodeJob & { attempts: number })[]> {
    const cutoff = this.now() - olderThanMs;
    const stale: (TranscodeJob & { attempts: number })[] = [];
    for (let shard = 0; shard < JOB_SHARDS; shard++) {
      let pageToken: string | undefined;
      do {
        const page = await this.deps.store.slice(transcodeJobs, { shard }, { limit: 500, pageToken });
        for (const row of page.rows) {
          if ((row.sent_at?.getTime() ?? 0) > cutoff || row.owner_id === undefined) continue;
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
    return stale;
  }

  /** Sends a job again, counting the attempt (the caller gives up past its own limit). */
  async resend(job: TranscodeJob & { attempts: number }): Promise<void> {
    await this.deps.store.put(transcodeJobs, {
      shard: shardOf(job.mediaId),
      media_id: job.mediaId,
      owner_id: job.ownerId,
      attempts: job.attempts + 1,
      sent_at: new Date(this.now()),
    });
    this.deps.dispatch(job);
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
      await this.deps.blobs.delete(original.key);
      originalKey = claim.existing.original_key;
      source = await this.deps.store.get(media, {
        owner_id: ownerId,
        media_id: claim.existing.media_id ?? "",
      });
    }
    const now = new Date(this.now());
    const ready = source?.status === "ready";
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
    return toMediaView(row, this.deps.urlOf);
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
