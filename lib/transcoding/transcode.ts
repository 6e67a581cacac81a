import { extensionOf } from "../media/sniff";
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { BlobStore } from "../blobs";
import {
  MediaTooLargeError,
  MediaTooLongError,
  MediaUnreadableError,
  UnsupportedMediaError,
  renderImage,
  renderVideo,
  type MediaVariant,
} from "../media";
import { variantKeyOf, type TranscodeJob, type TranscodeResult } from "../media-library/media-library";
import type { StoredVariant } from "../media-library/media-view";
import { MAX_VIDEO_DURATION_MS } from "../media-library/limits";
import { makeScratch } from "./scratch";

export interface TranscodeOptions {
  ffmpegPath: string | undefined;
  ffprobePath: string | undefined;
  timeoutMs: number;
}

export type TranscodeOutcome = { ok: true; result: TranscodeResult } | { ok: false; reason: string };

/**
 * One job: fetch the original into a scratch folder, render the variants, store them, clean up. A file that can
 * never be rendered (corrupt, too long, a format this node cannot decode) is an outcome, not an error, so it
 * marks the media failed instead of being retried; anything else throws and the job is retried.
 */
export async function transcode(
  job: TranscodeJob,
  blobs: BlobStore,
  options: TranscodeOptions,
): Promise<TranscodeOutcome> {
  const dir = await makeScratch(job.mediaId);
  try {
    const original = await blobs.get(job.originalKey);
    if (original === undefined) return { ok: false, reason: "the original is gone" };
    const input = path.join(dir, "original");
    await pipeline(original.body, createWriteStream(input));
    const out = path.join(dir, "out");

    let rendered: {
      width: number;
      height: number;
      durationMs?: number;
      blurhash?: string;
      variants: MediaVariant[];
    };
    try {
      rendered =
        job.kind === "image"
          ? await renderImage(input, out)
          : await renderVideo(input, out, {
              ...(options.ffmpegPath && { ffmpegPath: options.ffmpegPath }),
              ...(options.ffprobePath && { ffprobePath: options.ffprobePath }),
              timeoutMs: options.timeoutMs,
              maxDurationMs: MAX_VIDEO_DURATION_MS,
            });
    } catch (err: unknown) {
      if (
        err instanceof MediaUnreadableError ||
        err instanceof MediaTooLongError ||
        err instanceof MediaTooLargeError ||
        err instanceof UnsupportedMediaError
      ) {
        return { ok: false, reason: err.message };
      }
      throw err;
    }

    const variants: Record<string, StoredVariant> = {};
    for (const variant of rendered.variants) {
      const key = variantKeyOf(
        job.ownerId,
        job.mediaId,
        variant.name,
        extensionOf(variant.contentType) ?? "bin",
      );
      await blobs.put(key, createReadStream(variant.path), { contentType: variant.contentType });
      variants[variant.name] = {
        key,
        width: variant.width,
        height: variant.height,
        contentType: variant.contentType,
      };
    }
    return {
      ok: true,
      result: {
        width: rendered.width,
        height: rendered.height,
        ...(rendered.durationMs !== undefined && { durationMs: rendered.durationMs }),
        ...(rendered.blurhash !== undefined && { blurhash: rendered.blurhash }),
        variants,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
