/** The file is not a kind of media we accept, or this node cannot decode it (HEIC without a decoder). */
export class UnsupportedMediaError extends Error {
  override readonly name = "UnsupportedMediaError";
  constructor(message: string) {
    super(message);
  }
}

/** The file claims to be media we accept but cannot be decoded: truncated, corrupt, or lying about itself. */
export class MediaUnreadableError extends Error {
  override readonly name = "MediaUnreadableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Decoding it would cost more than we allow: more pixels than the limit. */
export class MediaTooLargeError extends Error {
  override readonly name = "MediaTooLargeError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A video longer than the limit, refused before any transcoding is spent on it. */
export class MediaTooLongError extends Error {
  override readonly name = "MediaTooLongError";
  constructor(
    readonly durationMs: number,
    readonly maxDurationMs: number,
  ) {
    super(`the video lasts ${durationMs} ms, more than the ${maxDurationMs} ms allowed`);
  }
}

/** A tool ran past its deadline and was killed; the same file would likely time out again. */
export class MediaProcessingTimeoutError extends Error {
  override readonly name = "MediaProcessingTimeoutError";
  constructor(tool: string, timeoutMs: number) {
    super(`${tool} ran past its ${timeoutMs} ms deadline and was killed`);
  }
}
