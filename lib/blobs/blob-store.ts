import type { Readable } from "node:stream";
import {
  InvalidBlobKeyError,
  InvalidContentTypeError,
  InvalidPartError,
  RangeNotSatisfiableError,
} from "./errors";

export interface BlobInfo {
  key: string;
  size: number;
  contentType: string;
  /** Opaque and quoted, as in an HTTP ETag header; changes whenever the content does. */
  etag: string;
  lastModified: Date;
}

/** Inclusive like HTTP's `bytes=start-end`; no end reads to the end of the blob. */
export interface BlobRange {
  start: number;
  end?: number;
}

export interface BlobPart {
  partNumber: number;
  etag: string;
  size: number;
}

export interface PresignedPut {
  url: string;
  method: "PUT";
  /** Headers the client must send as they are (the signature covers them). */
  headers: Record<string, string>;
}

/**
 * The media file store port: whole-object writes streamed in, ranged reads streamed out, and S3-style multipart
 * uploads for resumable clients. The embedded adapter keeps files on the local disk; the S3 adapter talks to any
 * S3-compatible server. Keys follow assertBlobKey on both, so what works on one works on the other.
 *
 * A write that fails (too large, source stream error, outage) leaves whatever the key held before untouched: a
 * new blob only becomes visible complete. The store never destroys a body stream it was handed: on a rejection
 * the caller owns what is left of it (to drain it, or to destroy it).
 */
export interface BlobStore {
  /**
   * Streams `body` in (never buffering it whole), hashing while it goes; rejects BlobTooLargeError past maxBytes
   * (and leaves nothing stored).
   */
  put(
    key: string,
    body: Readable,
    options: { contentType: string; maxBytes?: number },
  ): Promise<BlobInfo & { sha256: string }>;
  /**
   * undefined when absent. `range` is inclusive like HTTP (end optional = to the end; an end past the blob is cut
   * to it); an unsatisfiable range rejects RangeNotSatisfiableError. `range` in the answer is the one served.
   */
  get(
    key: string,
    range?: BlobRange,
  ): Promise<{ info: BlobInfo; body: Readable; range?: { start: number; end: number } } | undefined>;
  head(key: string): Promise<BlobInfo | undefined>;
  /** Idempotent. */
  delete(key: string): Promise<void>;

  /** Starts a multipart upload; answers its upload id. */
  createMultipart(key: string, contentType: string): Promise<string>;
  /**
   * 1-based part numbers up to 10000, sent in any order; sending a part number again replaces it (last write
   * wins). Every part but the last must hold at least 5 MiB by completion (S3's rule, kept everywhere).
   */
  putPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    maxBytes: number,
  ): Promise<BlobPart>;
  /** The parts uploaded so far, by part number. */
  listParts(key: string, uploadId: string): Promise<BlobPart[]>;
  /**
   * Joins the named parts in part-number order (the list may come in any order) into the blob; rejects
   * InvalidPartError for a part missing, with another etag, named twice, or too small.
   */
  completeMultipart(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
  ): Promise<BlobInfo>;
  /** Drops the upload and its parts. Idempotent: an upload already gone is not an error. */
  abortMultipart(key: string, uploadId: string): Promise<void>;

  /** Backends that let clients upload directly (S3) return a presigned PUT; others return undefined. */
  presignPut(
    key: string,
    options: { contentType: string; size: number; expiresInSeconds: number },
  ): Promise<PresignedPut | undefined>;
  /** A URL clients can GET directly (presigned on S3, or a configured public base URL); undefined for the embedded store (the gateway serves it). */
  publicUrl(key: string): Promise<string | undefined>;
  /**
   * A presigned GET that stops working after about `expiresInSeconds` (never the public base URL: for files that
   * are not public); undefined for the embedded store, whose gateway signs its own URLs. URLs signed within one
   * `bucketSeconds` are the same string, so clients can cache what they fetch.
   */
  presignGet(
    key: string,
    options: { expiresInSeconds: number; bucketSeconds: number },
  ): Promise<string | undefined>;

  /** True while the backend answers; drives readiness. */
  isReady(): Promise<boolean>;
  /** Releases connections; operations after close reject with BlobStoreClosedError. */
  close(): Promise<void>;
}

export const MAX_BLOB_KEY_LENGTH = 512;
/**
 * One path segment becomes one file or folder name in the embedded store; 200 leaves room under the usual 255-byte
 * file name limit for the adapter's suffixes.
 */
export const MAX_BLOB_KEY_SEGMENT_LENGTH = 200;
export const MAX_PART_NUMBER = 10_000;
/** S3's smallest part but the last; both adapters enforce it so that code tested on one works on the other. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

const KEY_CHARS = /^[a-z0-9/_.-]+$/;

/**
 * Keys are `[a-z0-9/_.-]`, at most 512 characters, with no leading `/` and no `..`. Besides, every `/`-separated
 * segment is non-empty, does not start with `.` and has at most 200 characters: the embedded store maps segments
 * to folders, where `a//b`, `a/./b` and `a/b` would be one file and dot-names are its own (`.tmp`, `.multipart`).
 */
export function assertBlobKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) throw new InvalidBlobKeyError(String(key), "empty");
  if (key.length > MAX_BLOB_KEY_LENGTH) {
    throw new InvalidBlobKeyError(key, `longer than ${MAX_BLOB_KEY_LENGTH} characters`);
  }
  if (!KEY_CHARS.test(key)) throw new InvalidBlobKeyError(key, "only a-z 0-9 / _ . - are allowed");
  if (key.includes("..")) throw new InvalidBlobKeyError(key, "contains ..");
  if (key.startsWith("/")) throw new InvalidBlobKeyError(key, "starts with /");
  for (const segment of key.split("/")) {
    if (segment === "") throw new InvalidBlobKeyError(key, "has an empty segment (// or a trailing /)");
    if (segment.startsWith(".")) throw new InvalidBlobKeyError(key, "has a segment starting with .");
    if (segment.length > MAX_BLOB_KEY_SEGMENT_LENGTH) {
      throw new InvalidBlobKeyError(
        key,
        `has a segment longer than ${MAX_BLOB_KEY_SEGMENT_LENGTH} characters`,
      );
    }
  }
}

/** Printable ASCII only, since it travels in a header and (embedded store) in the file's own metadata. */
export function assertContentType(contentType: string): void {
  if (typeof contentType !== "string" || !/^[\x20-\x7e]{1,255}$/.test(contentType)) {
    throw new InvalidContentTypeError(String(contentType));
  }
}

/** Whether the range could be satisfied by some blob: whole numbers, start ≥ 0, end ≥ start. */
export function isWellFormedRange(range: BlobRange): boolean {
  const { start, end } = range;
  return (
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start))
  );
}

/** The bytes a range serves from a blob of `size` bytes (the end cut to the blob), or RangeNotSatisfiableError. */
export function resolveRange(range: BlobRange, size: number): { start: number; end: number } {
  if (!isWellFormedRange(range) || range.start >= size) throw new RangeNotSatisfiableError(size);
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

export function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new InvalidPartError(`part numbers are 1 to ${MAX_PART_NUMBER}, not ${partNumber}`);
  }
}

/** The completion list in part-number order; rejects an empty list, a bad part number or one named twice. */
export function sortCompletedParts(
  parts: readonly { partNumber: number; etag: string }[],
): { partNumber: number; etag: string }[] {
  if (parts.length === 0) throw new InvalidPartError("a multipart upload completes with one part at least");
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  sorted.forEach((part, i) => {
    assertPartNumber(part.partNumber);
    if (i > 0 && sorted[i - 1]?.partNumber === part.partNumber) {
      throw new InvalidPartError(`part ${part.partNumber} is named twice`);
    }
  });
  return sorted;
}

/** ETags compare without their quotes: some S3 servers drop them, and callers copy them from either form. */
export function sameEtag(a: string, b: string): boolean {
  return stripQuotes(a) === stripQuotes(b);
}

export function quoteEtag(etag: string): string {
  return `"${stripQuotes(etag)}"`;
}

function stripQuotes(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}
