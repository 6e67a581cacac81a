import { BLOBS_UNAVAILABLE, PortError } from "../errors/port-error";

/** The body grew past the byte limit the caller set; nothing was stored for this write. */
export class BlobTooLargeError extends PortError {
  override readonly name = "BlobTooLargeError";
  readonly retryable = false;
  constructor(readonly maxBytes: number) {
    super(`the body is larger than ${maxBytes} bytes`);
  }
}

/**
 * The requested range starts past the end of the blob (or is not a range at all). `size` is the blob's size,
 * so a gateway can answer 416 with `Content-Range: bytes * /size` without asking again.
 */
export class RangeNotSatisfiableError extends PortError {
  override readonly name = "RangeNotSatisfiableError";
  readonly retryable = false;
  constructor(readonly size: number) {
    super(`the range cannot be satisfied for a blob of ${size} bytes`);
  }
}

/** The backend did not answer (down, timed out, overloaded, disk failing); the operation may be retried later. */
export class BlobStoreUnavailableError extends PortError {
  override readonly name = "BlobStoreUnavailableError";
  readonly retryable = true;
  override readonly answer = BLOBS_UNAVAILABLE;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The backend refused our credentials or the operation (a configuration error, not an outage). */
export class BlobStoreAccessDeniedError extends PortError {
  override readonly name = "BlobStoreAccessDeniedError";
  // Credentials an operator will fix: answered as an outage, never as the client's fault.
  readonly retryable = true;
  override readonly answer = BLOBS_UNAVAILABLE;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The store was used after close(). */
export class BlobStoreClosedError extends PortError {
  override readonly name = "BlobStoreClosedError";
  readonly retryable = true;
  override readonly answer = BLOBS_UNAVAILABLE;
  constructor() {
    super("the blob store is closed");
  }
}

/** A key outside the rules of assertBlobKey; the operation did not reach the backend. */
export class InvalidBlobKeyError extends PortError {
  override readonly name = "InvalidBlobKeyError";
  readonly retryable = false;
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid blob key ${JSON.stringify(key.slice(0, 80))}: ${reason}`);
  }
}

/** A content type that cannot travel in a header (empty, too long, control characters). */
export class InvalidContentTypeError extends PortError {
  override readonly name = "InvalidContentTypeError";
  readonly retryable = false;
  constructor(readonly contentType: string) {
    super(`invalid content type ${JSON.stringify(contentType.slice(0, 80))}`);
  }
}

/** No multipart upload with this id for this key: never created, completed, or aborted. */
export class MultipartUploadNotFoundError extends PortError {
  override readonly name = "MultipartUploadNotFoundError";
  readonly retryable = false;
  // A completion that failed its checks consumed it: the client has to start a new upload.
  override readonly answer = {
    status: 404,
    code: "UPLOAD_NOT_FOUND",
    message: "this upload can no longer take parts or complete: start a new one",
  };
  constructor(readonly uploadId: string) {
    super(`no multipart upload ${JSON.stringify(uploadId.slice(0, 80))} for this key`);
  }
}

/**
 * A part number out of 1..10000, or a completion that names a part that was not uploaded, with another etag,
 * twice, or a part other than the last smaller than the 5 MiB S3 requires.
 */
export class InvalidPartError extends PortError {
  override readonly name = "InvalidPartError";
  readonly retryable = false;
  constructor(message: string) {
    super(message);
  }
}
