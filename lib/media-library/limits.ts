/** api.md's limits: images up to 20 MB, videos up to 200 MB (and 10 minutes, checked when transcoding). */
const MB = 1024 * 1024;
export const IMAGE_MAX_BYTES = 20 * MB;
export const VIDEO_MAX_BYTES = 200 * MB;
export const MAX_UPLOAD_BYTES = VIDEO_MAX_BYTES;
export const MAX_VIDEO_DURATION_MS = 10 * 60 * 1000;

/** Enough of the start of a file to tell its type, containers included. */
export const SNIFF_BYTES = 4096;

/** Resumable uploads: S3 needs parts of at least 5 MiB but the last; 8 MiB keeps part counts small. */
export const UPLOAD_PART_BYTES = 8 * MB;

export function limitFor(kind: "image" | "video"): number {
  return kind === "image" ? IMAGE_MAX_BYTES : VIDEO_MAX_BYTES;
}

export function describeLimit(kind: "image" | "video"): string {
  return `${limitFor(kind) / MB} MB`;
}

/** The limit a declared content type implies before any byte is seen. */
export function limitForDeclared(contentType: string): number {
  return contentType.startsWith("image/") ? IMAGE_MAX_BYTES : VIDEO_MAX_BYTES;
}
