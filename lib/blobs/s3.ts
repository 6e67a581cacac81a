import { createHash } from "node:crypto";
import { Readable, Transform } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { BlobInfo, BlobPart, BlobRange, BlobStore, PresignedPut } from "./blob-store";
import {
  MIN_PART_BYTES,
  assertBlobKey,
  assertContentType,
  assertPartNumber,
  isWellFormedRange,
  quoteEtag,
  resolveRange,
  sameEtag,
  sortCompletedParts,
} from "./blob-store";
import {
  BlobStoreAccessDeniedError,
  BlobStoreClosedError,
  BlobStoreUnavailableError,
  BlobTooLargeError,
  InvalidPartError,
  MultipartUploadNotFoundError,
  RangeNotSatisfiableError,
} from "./errors";

export interface S3BlobStoreOptions {
  /** e.g. http://127.0.0.1:8081 for S3Proxy/MinIO; undefined for AWS itself. */
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** http://host/bucket/key instead of http://bucket.host/key; most S3-compatible servers want it. */
  forcePathStyle: boolean;
  /** When set, publicUrl is this + key (a CDN or a public bucket) instead of a presigned GET. */
  publicBaseUrl?: string;
  /** Create the bucket on first use when it does not exist (development and tests). */
  createBucket?: boolean;
  /**
   * How long connecting, and waiting for a response, may take; uploads get one more second per MiB they carry.
   * A response body streams for as long as its reader keeps reading: a paused video download must not time out.
   */
  requestTimeoutMs: number;
  /** Bytes per part of the uploader behind put(); defaults to 8 MiB, at least 5 MiB (S3's minimum). */
  partBytes?: number;
}

const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
const PUBLIC_URL_SECONDS = 3600;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
/** Bytes per second an upload is granted on top of requestTimeoutMs before it counts as stalled. */
const MIN_UPLOAD_BYTES_PER_SECOND = 1024 * 1024;
const NETWORK_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
]);
const OUTAGE_ERROR_NAMES = new Set([
  "TimeoutError",
  "RequestTimeout",
  "ServiceUnavailable",
  "SlowDown",
  "InternalError",
]);
const DENIED_ERROR_NAMES = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "RequestTimeTooSkewed",
]);

/**
 * BlobStore on any S3-compatible server (AWS S3, S3Proxy, MinIO, R2...).
 *
 * put() takes a stream of unknown length, which PutObject cannot (it needs the length up front), so it runs a
 * small multipart uploader: it fills one part of `partBytes` while the previous one is on the wire (at most two
 * parts in memory, never the whole file), hashing sha256 and counting bytes as they come. A body that ends within
 * the first part goes up as one PutObject. Overflowing maxBytes aborts the upload: an object only appears on
 * completion, so nothing was stored and whatever the key held before stays.
 *
 * The SDK's default flexible checksums (CRC32 trailers, aws-chunked bodies) are turned off: S3-compatible servers
 * mishandle them, and we hash the content ourselves.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly publicBaseUrl: string | undefined;
  private readonly createBucket: boolean;
  private readonly requestTimeoutMs: number;
  private readonly partBytes: number;
  private bucketReady: Promise<void> | undefined;
  private closed = false;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.publicBaseUrl = options.publicBaseUrl;
    this.createBucket = options.createBucket ?? false;
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.partBytes = Math.max(options.partBytes ?? DEFAULT_PART_BYTES, MIN_PART_BYTES);
    this.client = new S3Client({
      ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      // No socket idle timeout: it would also cut a response body whose reader is paused (backpressure).
      requestHandler: {
        connectionTimeout: options.requestTimeoutMs,
        requestTimeout: options.requestTimeoutMs,
        throwOnRequestTimeout: true,
      },
    });
  }

  async put(
    key: string,
    body: Readable,
    options: { contentType: string; maxBytes?: number },
  ): Promise<BlobInfo & { sha256: string }> {
    assertBlobKey(key);
    assertContentType(options.contentType);
    await this.ready();
    const { contentType, maxBytes } = options;
    const hash = createHash("sha256");
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let uploadId: string | undefined;
    const parts: { PartNumber: number; ETag: string }[] = [];
    let inFlight: Promise<void> = Promise.resolve();
    let inFlightError: unknown;

    const sendPart = (data: Buffer, id: string) => {
      const partNumber = parts.length + 1;
      const placeholder = { PartNumber: partNumber, ETag: "" };
      parts.push(placeholder);
      inFlight = this.uploadPart(key, id, partNumber, data).then((etag) => {
        placeholder.ETag = etag;
      });
      // Awaited later; until then a failure must not count as unhandled, and it stops the reading loop.
      inFlight.catch((error: unknown) => {
        inFlightError = error;
      });
    };

    try {
      for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<unknown>) {
        if (inFlightError !== undefined) break;
        const bytes = toBuffer(chunk);
        size += bytes.length;
        if (maxBytes !== undefined && size > maxBytes) throw new BlobTooLargeError(maxBytes);
        hash.update(bytes);
        pending.push(bytes);
        pendingBytes += bytes.length;
        if (pendingBytes >= this.partBytes) {
          const data = Buffer.concat(pending, pendingBytes);
          pending = [];
          pendingBytes = 0;
          uploadId ??= await this.startUpload(key, contentType);
          await inFlight; // one part on the wire while the next one fills
          sendPart(data, uploadId);
        }
      }
      await inFlight;
      if (uploadId === undefined) {
        const data = Buffer.concat(pending, pendingBytes);
        await this.call(() =>
          this.client.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: key,
              Body: data,
              ContentLength: data.length,
              ContentType: contentType,
            }),
            { requestTimeout: this.timeoutFor(data.length) },
          ),
        );
      } else {
        if (pendingBytes > 0) {
          sendPart(Buffer.concat(pending, pendingBytes), uploadId);
          pending = [];
          await inFlight;
        }
        const id = uploadId;
        await this.call(() =>
          this.client.send(
            new CompleteMultipartUploadCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId: id,
              MultipartUpload: { Parts: parts },
            }),
          ),
        );
      }
    } catch (error: unknown) {
      if (uploadId !== undefined) {
        const id = uploadId;
        await inFlight.catch(() => undefined);
        await this.call(() =>
          this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: id })),
        ).catch(() => undefined); // best effort: a bucket lifecycle rule reaps what an outage leaves
      }
      throw error;
    }
    const info = await this.head(key);
    if (info === undefined) throw new Error(`the object ${key} is missing right after it was written`);
    return { ...info, size, sha256: hash.digest("hex") };
  }

  async get(
    key: string,
    range?: BlobRange,
  ): Promise<{ info: BlobInfo; body: Readable; range?: { start: number; end: number } } | undefined> {
    assertBlobKey(key);
    await this.ready();
    if (range !== undefined && !isWellFormedRange(range)) {
      // S3 would ignore such a Range header and send everything: refuse it here, as the embedded store does.
      const info = await this.head(key);
      if (info === undefined) return undefined;
      throw new RangeNotSatisfiableError(info.size);
    }
    let output;
    try {
      output = await this.call(() =>
        this.client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: key,
            ...(range !== undefined && { Range: `bytes=${range.start}-${range.end ?? ""}` }),
          }),
        ),
      );
    } catch (error: unknown) {
      if (isNotFound(error)) return undefined;
      if (statusOf(error) === 416 || nameOf(error) === "InvalidRange") {
        const info = await this.head(key);
        if (info === undefined) return undefined;
        throw new RangeNotSatisfiableError(info.size);
      }
      throw error;
    }
    const raw = output.Body;
    if (!(raw instanceof Readable)) throw new Error("the S3 client did not answer a Node stream");
    let body: Readable = raw;
    const contentRange = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(output.ContentRange ?? "");
    const size = contentRange ? Number(contentRange[3]) : (output.ContentLength ?? 0);
    const info: BlobInfo = {
      key,
      size,
      contentType: output.ContentType ?? "application/octet-stream",
      etag: quoteEtag(output.ETag ?? ""),
      lastModified: output.LastModified ?? new Date(0),
    };
    if (range === undefined) return { info, body };
    if (contentRange) {
      return { info, body, range: { start: Number(contentRange[1]), end: Number(contentRange[2]) } };
    }
    // The server sent the whole object (some do for an empty one, or ignore Range altogether): cut it here.
    let served: { start: number; end: number };
    try {
      served = resolveRange(range, size);
    } catch (error: unknown) {
      body.destroy();
      throw error;
    }
    if (served.start !== 0 || served.end !== size - 1) {
      const whole = body;
      const slice = sliceBytes(served.start, served.end);
      whole.on("error", (error) => slice.destroy(error));
      slice.on("close", () => whole.destroy());
      body = whole.pipe(slice);
    }
    return { info, body, range: served };
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    assertBlobKey(key);
    await this.ready();
    try {
      const output = await this.call(() =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })),
      );
      return {
        key,
        size: output.ContentLength ?? 0,
        contentType: output.ContentType ?? "application/octet-stream",
        etag: quoteEtag(output.ETag ?? ""),
        lastModified: output.LastModified ?? new Date(0),
      };
    } catch (error: unknown) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    await this.ready();
    try {
      await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
    } catch (error: unknown) {
      if (!isNotFound(error)) throw error; // S3 answers 204 anyway; some compatible servers answer 404
    }
  }

  async createMultipart(key: string, contentType: string): Promise<string> {
    assertBlobKey(key);
    assertContentType(contentType);
    await this.ready();
    return this.startUpload(key, contentType);
  }

  /** Buffers the part (UploadPart needs its length up front), so maxBytes also bounds the memory it takes. */
  async putPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    maxBytes: number,
  ): Promise<BlobPart> {
    assertBlobKey(key);
    assertPartNumber(partNumber);
    await this.ready();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<unknown>) {
      const bytes = toBuffer(chunk);
      size += bytes.length;
      if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
      chunks.push(bytes);
    }
    const etag = await this.uploadPart(key, uploadId, partNumber, Buffer.concat(chunks, size));
    return { partNumber, etag, size };
  }

  async listParts(key: string, uploadId: string): Promise<BlobPart[]> {
    assertBlobKey(key);
    await this.ready();
    const parts: BlobPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await this.multipartCall(uploadId, () =>
        this.client.send(
          new ListPartsCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            ...(marker !== undefined && { PartNumberMarker: marker }),
          }),
        ),
      );
      for (const part of page.Parts ?? []) {
        if (part.PartNumber === undefined) continue;
        parts.push({ partNumber: part.PartNumber, etag: quoteEtag(part.ETag ?? ""), size: part.Size ?? 0 });
      }
      if (page.IsTruncated !== true || page.NextPartNumberMarker === undefined) break;
      marker = page.NextPartNumberMarker;
    }
    // S3 answers NoSuchUpload for an unknown id, but some compatible servers (S3Proxy) answer an empty list: an
    // empty list is confirmed against the key's open uploads, so that both report an aborted upload alike.
    if (parts.length === 0 && !(await this.uploadExists(key, uploadId))) {
      throw new MultipartUploadNotFoundError(uploadId);
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipart(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
  ): Promise<BlobInfo> {
    assertBlobKey(key);
    const wanted = sortCompletedParts(parts);
    await this.ready();
    // Checked here, not left to the server: S3-compatible servers differ on what they verify (S3Proxy's
    // filesystem backend takes small parts), and the embedded store refuses the same lists.
    const uploaded = new Map((await this.listParts(key, uploadId)).map((part) => [part.partNumber, part]));
    wanted.forEach((part, i) => {
      const found = uploaded.get(part.partNumber);
      if (found === undefined) throw new InvalidPartError(`part ${part.partNumber} was not uploaded`);
      if (!sameEtag(found.etag, part.etag)) {
        throw new InvalidPartError(`part ${part.partNumber} has another etag than ${part.etag}`);
      }
      if (i < wanted.length - 1 && found.size < MIN_PART_BYTES) {
        throw new InvalidPartError(
          `part ${part.partNumber} has ${found.size} bytes; every part but the last needs ${MIN_PART_BYTES}`,
        );
      }
    });
    await this.multipartCall(uploadId, () =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: wanted.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })),
          },
        }),
      ),
    );
    const info = await this.head(key);
    if (info === undefined) throw new Error(`the object ${key} is missing right after its upload completed`);
    return info;
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    assertBlobKey(key);
    await this.ready();
    try {
      await this.multipartCall(uploadId, () =>
        this.client.send(
          new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
        ),
      );
    } catch (error: unknown) {
      if (!(error instanceof MultipartUploadNotFoundError)) throw error;
    }
  }

  /**
   * Signs content-type and content-length, so the client must send exactly that type and that many bytes. Only
   * content-type is listed in `headers`: a client's HTTP library sets the length from the body itself.
   */
  async presignPut(
    key: string,
    options: { contentType: string; size: number; expiresInSeconds: number },
  ): Promise<PresignedPut> {
    assertBlobKey(key);
    assertContentType(options.contentType);
    if (!Number.isSafeInteger(options.size) || options.size < 0) {
      throw new RangeError(`size must be a whole number of bytes, not ${options.size}`);
    }
    const expiresIn = Math.trunc(options.expiresInSeconds);
    if (!(expiresIn >= 1 && expiresIn <= MAX_PRESIGN_SECONDS)) {
      throw new RangeError(`expiresInSeconds must be 1 to ${MAX_PRESIGN_SECONDS}`);
    }
    await this.ready();
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ContentType: options.contentType,
      ContentLength: options.size,
    });
    const url = await getSignedUrl(this.client, command, {
      expiresIn,
      signableHeaders: new Set(["content-type", "content-length"]),
    });
    return { url, method: "PUT", headers: { "content-type": options.contentType } };
  }

  async publicUrl(key: string): Promise<string> {
    assertBlobKey(key);
    if (this.publicBaseUrl !== undefined) {
      // Keys hold only URL-safe characters (assertBlobKey): no escaping needed.
      return `${this.publicBaseUrl.replace(/\/+$/, "")}/${key}`;
    }
    await this.ready();
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: PUBLIC_URL_SECONDS,
    });
  }

  async presignGet(
    key: string,
    options: { expiresInSeconds: number; bucketSeconds: number },
  ): Promise<string> {
    assertBlobKey(key);
    const bucketMs = Math.max(1, options.bucketSeconds) * 1000;
    // Signed as of the start of the bucket and good for one bucket more: the same URL all bucket long, and every
    // one of them lives at least expiresInSeconds.
    const signingDate = new Date(Math.floor(Date.now() / bucketMs) * bucketMs);
    const expiresIn = Math.min(MAX_PRESIGN_SECONDS, options.expiresInSeconds + Math.ceil(bucketMs / 1000));
    await this.ready();
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn,
      signingDate,
    });
  }

  async isReady(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.ready();
      await this.call(() => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.client.destroy();
    }
    return Promise.resolve();
  }

  // ---- internals ----

  private async ready(): Promise<void> {
    if (this.closed) throw new BlobStoreClosedError();
    if (!this.createBucket) return;
    // Once per store; a failure (an outage at start) is forgotten so that the next call tries again.
    this.bucketReady ??= this.createBucketIfAbsent().catch((error: unknown) => {
      this.bucketReady = undefined;
      throw error;
    });
    await this.bucketReady;
  }

  private async createBucketIfAbsent(): Promise<void> {
    try {
      await this.call(() => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
      return;
    } catch (error: unknown) {
      if (!isNotFound(error)) throw error;
    }
    try {
      await this.call(() => this.client.send(new CreateBucketCommand({ Bucket: this.bucket })));
    } catch (error: unknown) {
      if (nameOf(error) !== "BucketAlreadyOwnedByYou") throw error; // created by a concurrent start
    }
  }

  private async startUpload(key: string, contentType: string): Promise<string> {
    const output = await this.call(() =>
      this.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }),
      ),
    );
    if (output.UploadId === undefined) throw new Error("the S3 server answered no upload id");
    return output.UploadId;
  }

  private async uploadExists(key: string, uploadId: string): Promise<boolean> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.call(() =>
        this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: key,
            ...(keyMarker !== undefined && { KeyMarker: keyMarker }),
            ...(uploadIdMarker !== undefined && { UploadIdMarker: uploadIdMarker }),
          }),
        ),
      );
      if ((page.Uploads ?? []).some((upload) => upload.Key === key && upload.UploadId === uploadId))
        return true;
      if (page.IsTruncated !== true || !page.NextKeyMarker) return false;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  private async uploadPart(key: string, uploadId: string, partNumber: number, data: Buffer): Promise<string> {
    const output = await this.multipartCall(uploadId, () =>
      this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: data,
          ContentLength: data.length,
        }),
        { requestTimeout: this.timeoutFor(data.length) },
      ),
    );
    if (output.ETag === undefined) throw new Error("the S3 server answered no etag for a part");
    return quoteEtag(output.ETag);
  }

  private timeoutFor(bytes: number): number {
    return this.requestTimeoutMs + Math.ceil((bytes / MIN_UPLOAD_BYTES_PER_SECOND) * 1000);
  }

  /** Runs one SDK call, turning outages and refused credentials into our errors; others pass through. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) throw new BlobStoreClosedError();
    try {
      return await operation();
    } catch (error: unknown) {
      throw classify(error);
    }
  }

  /** As call(), for calls on one multipart upload: NoSuchUpload and the part-list errors become ours. */
  private async multipartCall<T>(uploadId: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await this.call(operation);
    } catch (error: unknown) {
      const name = nameOf(error);
      if (name === "NoSuchUpload") throw new MultipartUploadNotFoundError(uploadId);
      if (name === "InvalidPart" || name === "InvalidPartOrder" || name === "EntityTooSmall") {
        throw new InvalidPartError(error instanceof Error ? error.message : String(name));
      }
      throw error;
    }
  }
}

function classify(error: unknown): unknown {
  const status = statusOf(error);
  const name = nameOf(error);
  const code = codeOf(error);
  if (
    (status !== undefined && status >= 500) ||
    (name !== undefined && OUTAGE_ERROR_NAMES.has(name)) ||
    (code !== undefined && NETWORK_ERROR_CODES.has(code))
  ) {
    return new BlobStoreUnavailableError(`the S3 server did not answer: ${name ?? code ?? status}`, {
      cause: error,
    });
  }
  if (status === 401 || status === 403 || (name !== undefined && DENIED_ERROR_NAMES.has(name))) {
    return new BlobStoreAccessDeniedError(`the S3 server refused the request: ${name ?? status}`, {
      cause: error,
    });
  }
  return error;
}

function isNotFound(error: unknown): boolean {
  const name = nameOf(error);
  return statusOf(error) === 404 || name === "NoSuchKey" || name === "NotFound" || name === "NoSuchBucket";
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("$metadata" in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== "object" || metadata === null || !("httpStatusCode" in metadata)) return undefined;
  return typeof metadata.httpStatusCode === "number" ? metadata.httpStatusCode : undefined;
}

function nameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  throw new TypeError("a blob body must stream bytes (Buffer, Uint8Array or string chunks)");
}

/** Passes bytes start..end (inclusive) of what flows through, and drops the rest. */
function sliceBytes(start: number, end: number): Transform {
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const from = Math.max(start - offset, 0);
      const to = Math.min(end + 1 - offset, chunk.length);
      offset += chunk.length;
      callback(null, from < to ? chunk.subarray(from, to) : undefined);
    },
  });
}
