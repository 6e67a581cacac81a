/** The body grew past the byte limit the caller set; nothing was stored for this write. */
export class BlobTooLargeError extends Error {
  override readonly name = "BlobTooLargeError";
  constructor(readonly maxBytes: number) {
    super(`the body is larger than ${maxBytes} bytes`);
  }
}

/**
 * The requested range starts past the end of the blob (or is not a range at all). `size` is the blob's size,
 * so a gateway can answer 416 with `Content-Range: bytes * /size` without asking again.
 */
export class RangeNotSatisfiableError extends Error {
  override readonly name = "RangeNotSatisfiableError";
  constructor(readonly size: number) {
    super(`the range cannot be satisfied for a blob of ${size} bytes`);
  }
}

/** The backend did not answer (down, timed out, overloaded, disk failing); the operation may be retried later. */
export class BlobStoreUnavailableError extends Error {
  override readonly name = "BlobStoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The backend refused our credentials or the operation (a configuration error, not an outage). */
export class BlobStoreAccessDeniedError extends Error {
  override readonly name = "BlobStoreAccessDeniedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The store was used after close(). */
export class BlobStoreClosedError extends Error {
  override readonly name = "BlobStoreClosedError";
  constructor() {
    super("the blob store is closed");
  }
}

/** A key outside the rules of assertBlobKey; the operation did not reach the backend. */
export class InvalidBlobKeyError extends Error {
  override readonly name = "InvalidBlobKeyError";
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid blob key ${JSON.stringify(key.slice(0, 80))}: ${reason}`);
  }
}

/** A content type that cannot travel in a header (empty, too long, control characters). */
export class InvalidContentTypeError extends Error {
  override readonly name = "InvalidContentTypeError";
  constructor(readonly contentType: string) {
    super(`invalid content type ${JSON.stringify(contentType.slice(0, 80))}`);
  }
}

/** No multipart upload with this id for this key: never created, completed, or aborted. */
export class MultipartUploadNotFoundError extends Error {
  override readonly name = "MultipartUploadNotFoundError";
  constructor(readonly uploadId: string) {
    super(`no multipart upload ${JSON.stringify(uploadId.slice(0, 80))} for this key`);
  }
}

/**
 * A part number out of 1..10000, or a completion that names a part that was not uploaded, with another etag,
 * twice, or a part other than the last smaller than the 5 MiB S3 requires.
 */
export class InvalidPartError extends Error {
  override readonly name = "InvalidPartError";
  constructor(message: string) {
    super(message);
  }
}
