import type { ServiceSchema } from "moleculer";
import { z } from "zod";
import { defineAction } from "../broker/define-action";
import type { BlobStore } from "../lib/blobs";
import { isId } from "../lib/ids";
import { transcode, type TranscodeOptions } from "../lib/transcoding/transcode";

const id = z.string().refine(isId, "must be an id");
const jobParams = z.strictObject({
  mediaId: id,
  ownerId: id,
  kind: z.enum(["image", "video"]),
  originalKey: z.string().min(1).max(512),
});

/**
 * Renders variants. Only nodes configured with SERVICES=transcoder (or *) host it, so transcoding scales on its
 * own; the bulkhead bounds the jobs one node runs at once and queues the rest.
 */
export function createTranscoderService(deps: {
  blobs: BlobStore;
  options: TranscodeOptions;
  concurrency: number;
}): ServiceSchema {
  return {
    name: "transcoder",
    actions: {
      process: defineAction({
        visibility: "public",
        params: jobParams,
        options: {
          timeout: deps.options.timeoutMs,
          bulkhead: { enabled: true, concurrency: deps.concurrency, maxQueueSize: 200 },
        },
        handler: async (ctx) => {
          const started = Date.now();
          ctx.broker.logger.info(`transcoding ${ctx.params.kind} ${ctx.params.mediaId}`);
          const outcome = await transcode(ctx.params, deps.blobs, deps.options);
          const verdict = outcome.ok ? "done" : `failed: ${outcome.reason}`;
          ctx.broker.logger.info(
            `transcoded ${ctx.params.mediaId} in ${Date.now() - started} ms, ${verdict}`,
          );
          return outcome;
        },
      }),
    },
  };
}
