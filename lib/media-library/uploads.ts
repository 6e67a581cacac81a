import type { Readable } from "node:stream";
import type { BlobStore } from "../blobs";
import { BlobTooLargeError } from "../blobs";
import { BadRequestError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../errors";
import { ACCEPTED_CONTENT_TYPES } from "../media";
import type { WideRowStore } from "../store/store";
import { limitForDeclared, UPLOAD_PART_BYTES } from "./limits";
import { originalKeyOf, type IdSource, type MediaLibrary } from "./media-library";
import type { MediaView } from "./media-view";
import { uploads, uploadsByDay } from "./tables";

export interface UploadSession {
  id: string;
  partSize: number;
  partCount: number;
}

export interface UploadStatus {
  id: string;
  receivedParts: number[];
  complete: boolean;
}

const DAY_MS = 24 * 3600 * 1000;
const PRESIGN_EXPIRES_SECONDS = 15 * 60;

/**
 * Resumable uploads (parts in any order, re-sendable, checked on completion) and presigned direct uploads. The
 * bytes go to the blob store's multipart upload; the session row expires after a day, and the janitor aborts
 * the multipart uploads of sessions nobody completed.
 */
export class Uploads {
  private readonly now: () => number;

  constructor(
    private readonly deps: {
      store: WideRowStore;
      blobs: BlobStore;
      ids: IdSource;
      library: MediaLibrary;
      now?: () => number;
    },
  ) {
    this.now = deps.now ?? Date.now;
  }

  async start(
    ownerId: string,
    input: { filename: string; size: number; contentType: string; sha256?: string; altText?: string },
  ): Promise<UploadSession> {
    const contentType = input.contentType.toLowerCase();
    if (!ACCEPTED_CONTENT_TYPES.includes(contentType)) {
      throw new UnsupportedMediaTypeError("UNSUPPORTED_MEDIA_TYPE", `${input.contentType} is not accepted`);
    }
    const limit = limitForDeclared(contentType);
    if (input.size > limit) {
      throw new PayloadTooLargeError(
        "PAYLOAD_TOO_LARGE",
        `at most ${limit / (1024 * 1024)} MB for ${contentType}`,
      );
    }
    const uploadId = await this.deps.ids.next();
    const blobKey = originalKeyOf(ownerId, uploadId);
    const multipartId = await this.deps.blobs.createMultipart(blobKey, contentType);
    const partCount = Math.max(1, Math.ceil(input.size / UPLOAD_PART_BYTES));
    const now = this.now();
    await this.deps.store.put(uploadsByDay, {
      day: dayOf(now),
      upload_id: uploadId,
      blob_key: blobKey,
      multipart_id: multipartId,
    });
    await this.deps.store.put(uploads, {
      upload_id: uploadId,
      owner_id: ownerId,
      filename: input.filename,
      size: input.size,
      content_type: contentType,
      ...(input.sha256 !== undefined && { sha256: input.sha256 }),
      part_size: UPLOAD_PART_BYTES,
      part_count: partCount,
      blob_key: blobKey,
      multipart_id: multipartId,
      created_at: new Date(now),
      ...(input.altText ? { alt_text: input.altText } : {}),
    });
    return { id: uploadId, partSize: UPLOAD_PART_BYTES, partCount };
  }

  async putPart(
    ownerId: string,
    uploadId: string,
    n: number,
    body: Readable,
  ): Promise<{ n: number; size: number }> {
    const session = await this.session(ownerId, uploadId);
    if (session.media_id !== undefined) {
      body.resume();
      throw new BadRequestError("UPLOAD_COMPLETE", "this upload is already complete");
    }
    const count = session.part_count ?? 1;
    if (n >= count) {
      body.resume();
      throw new BadRequestError("PART_OUT_OF_RANGE", `parts are numbered 0 to ${count - 1}`);
    }
    const expected = expectedPartSize(session, n);
    let part;
    try {
      part = await this.deps.blobs.putPart(
        session.blob_key ?? "",
        session.multipart_id ?? "",
        n + 1,
        body,
        expected,
      );
    } catch (err: unknown) {
      body.resume();
      if (err instanceof BlobTooLargeError) {
        throw new BadRequestError("PART_SIZE", `part ${n} must be ${expected} bytes`);
      }
      throw err;
    }
    if (part.size !== expected) throw new BadRequestError("PART_SIZE", `part ${n} must be ${expected} bytes`);
    return { n, size: part.size };
  }

  async status(ownerId: string, uploadId: string): Promise<UploadStatus> {
    const session = await this.session(ownerId, uploadId);
    if (session.media_id !== undefined) {
      return { id: uploadId, receivedParts: range(session.part_count ?? 1), complete: true };
    }
    const parts = await this.deps.blobs.listParts(session.blob_key ?? "", session.multipart_id ?? "");
    const received = parts
      .filter((p) => p.size === expectedPartSize(session, p.partNumber - 1))
      .map((p) => p.partNumber - 1)
      .sort((a, b) => a - b);
    return { id: uploadId, receivedParts: received, complete: false };
  }

  async complete(ownerId: string, uploadId: string): Promise<MediaView> {
    const session = await this.session(ownerId, uploadId);
    if (session.media_id !== undefined) {
      const done = await this.deps.library.find(session.media_id);
      if (done) return this.deps.library.view(done);
    }
    const parts = await this.deps.blobs.listParts(session.blob_key ?? "", session.multipart_id ?? "");
    const count = session.part_count ?? 1;
    const good = new Map(
      parts
        .filter((p) => p.size === expectedPartSize(session, p.partNumber - 1))
        .map((p) => [p.partNumber, p]),
    );
    const missing = range(count).filter((n) => !good.has(n + 1));
    if (missing.length > 0) {
      throw new BadRequestError("PARTS_MISSING", "some parts are missing", {
        missingParts: missing.slice(0, 100),
      });
    }
    const key = session.blob_key ?? "";
    await this.deps.blobs.completeMultipart(
      key,
      session.multipart_id ?? "",
      range(count).map((n) => ({ partNumber: n + 1, etag: good.get(n + 1)?.etag ?? "" })),
    );
    const view = await this.deps.library.adopt(ownerId, uploadId, key, {
      size: session.size ?? 0,
      ...(session.sha256 !== undefined && { sha256: session.sha256 }),
      ...(session.content_type !== undefined && { claimedType: session.content_type }),
    });
    await this.deps.store.put(uploads, { upload_id: uploadId, media_id: view.id });
    // Given at the start, kept with the session until there is a media to describe.
    if (session.alt_text) return this.deps.library.describe(ownerId, view.id, session.alt_text);
    return view;
  }

  /** A direct upload to the store (S3); the client then calls finalize with the media id. */
  async presign(
    ownerId: string,
    input: { contentType: string; size: number },
  ): Promise<{ mediaId: string; url: string; method: "PUT"; headers: Record<string, string> }> {
    const contentType = input.contentType.toLowerCase();
    if (!ACCEPTED_CONTENT_TYPES.includes(contentType)) {
      throw new UnsupportedMediaTypeError("UNSUPPORTED_MEDIA_TYPE", `${input.contentType} is not accepted`);
    }
    if (input.size > limitForDeclared(contentType)) {
      throw new PayloadTooLargeError(
        "PAYLOAD_TOO_LARGE",
        `the file is larger than allowed for ${contentType}`,
      );
    }
    const mediaId = await this.deps.ids.next();
    const signed = await this.deps.blobs.presignPut(originalKeyOf(ownerId, mediaId), {
      contentType,
      size: input.size,
      expiresInSeconds: PRESIGN_EXPIRES_SECONDS,
    });
    if (signed === undefined) {
      throw new BadRequestError(
        "PRESIGN_UNAVAILABLE",
        "this server stores media itself: use POST /api/media or /api/uploads",
      );
    }
    await this.deps.store.put(
      uploads,
      {
        upload_id: mediaId,
        owner_id: ownerId,
        size: input.size,
        content_type: contentType,
        blob_key: originalKeyOf(ownerId, mediaId),
        created_at: new Date(this.now()),
      },
      { ttlSeconds: 24 * 3600 },
    );
    return { mediaId, ...signed };
  }

  async finalize(ownerId: string, mediaId: string): Promise<MediaView> {
    const existing = await this.deps.library.find(mediaId);
    if (existing?.owner_id === ownerId) return this.deps.library.view(existing);
    const session = await this.session(ownerId, mediaId);
    const view = await this.deps.library.adopt(ownerId, mediaId, session.blob_key ?? "", {
      size: session.size ?? 0,
      ...(session.content_type !== undefined && { claimedType: session.content_type }),
    });
    await this.deps.store.put(uploads, { upload_id: mediaId, media_id: view.id });
    return view;
  }

  /** Aborts the multipart uploads of sessions started `daysAgo` days ago that nobody completed. */
  async sweepAbandoned(daysAgo = 2): Promise<number> {
    const day = dayOf(this.now()) - daysAgo;
    let aborted = 0;
    let pageToken: string | undefined;
    do {
      const page = await this.deps.store.slice(uploadsByDay, { day }, { limit: 500, pageToken });
      for (const row of page.rows) {
        const session = await this.deps.store.get(uploads, { upload_id: row.upload_id });
        if (session?.media_id === undefined && row.blob_key && row.multipart_id) {
          await this.deps.blobs.abortMultipart(row.blob_key, row.multipart_id).catch(() => undefined);
          aborted++;
        }
        await this.deps.store.delete(uploadsByDay, { day, upload_id: row.upload_id });
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    return aborted;
  }

  private async session(ownerId: string, uploadId: string) {
    const row = await this.deps.store.get(uploads, { upload_id: uploadId });
    // Someone else's upload is as invisible as one that never existed.
    if (row === undefined || row.owner_id !== ownerId)
      throw new NotFoundError("UPLOAD_NOT_FOUND", "no such upload");
    return row;
  }
}

function expectedPartSize(
  session: { size?: number; part_size?: number; part_count?: number },
  n: number,
): number {
  const partSize = session.part_size ?? UPLOAD_PART_BYTES;
  const count = session.part_count ?? 1;
  const size = session.size ?? 0;
  return n < count - 1 ? partSize : size - partSize * (count - 1);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}
