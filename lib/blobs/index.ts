export type { BlobInfo, BlobPart, BlobRange, BlobStore, PresignedPut } from "./blob-store";
export {
  MAX_BLOB_KEY_LENGTH,
  MAX_PART_NUMBER,
  MIN_PART_BYTES,
  assertBlobKey,
  assertContentType,
  resolveRange,
} from "./blob-store";
export {
  BlobStoreAccessDeniedError,
  BlobStoreClosedError,
  BlobStoreUnavailableError,
  BlobTooLargeError,
  InvalidBlobKeyError,
  InvalidContentTypeError,
  InvalidPartError,
  MultipartUploadNotFoundError,
  RangeNotSatisfiableError,
} from "./errors";
export { FsBlobStore } from "./fs";
export type { FsBlobStoreOptions } from "./fs";
export { S3BlobStore } from "./s3";
export type { S3BlobStoreOptions } from "./s3";
