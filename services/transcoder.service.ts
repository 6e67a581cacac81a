import type { ServiceSchema } from "moleculer";
import { defineActions } from "../broker/define-action";
import type { BlobStore } from "../lib/blobs";
import type { TranscoderMetrics } from "../lib/metrics";
import { transcode, type TranscodeOptions } from "../lib/transcoding/transcode";

/**
 * Renders variants. Only nodes configured with SERVICES=transcoder (or *) host it, so transcoding scales on its
 * own; the bulkhead bounds the jobs one node runs at once and queues the rest.
 */
export function createTranscoderService(deps: {
  blobs: BlobStore;
  options: TranscodeOptions;
  concurrency: number;
  /** Jobs running and the time each took, on this node. */
  metrics?: TranscoderMetrics;
}): ServiceSchema {
  return {
    name: "transcoder",
    actions: defineActions("transcoder", {
      process: {
        options: {
          timeout: deps.options.timeoutMs,
          bulkhead: { enabled: true, concurrency: deps.concurrency, maxQueueSize: 200 },
        },
        handler: async (ctx) => {
          const started = Date.now();
          ctx.broker.logger.info(`transcoding ${ctx.params.kind} ${ctx.params.mediaId}`);
          const run = () => transcode(ctx.params, deps.blobs, deps.options);
          const outcome = await (deps.metrics ? deps.metrics.measure(ctx.params.kind, run) : run());
          const verdict = outcome.ok ? "done" : `failed: ${outcome.reason}`;
          ctx.broker.logger.info(
            `transcoded ${ctx.params.mediaId} in ${Date.now() - started} ms, ${verdict}`,
          );
          return outcome;
        },
      },
    }),
  };
}
