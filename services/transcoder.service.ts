import type { ServiceSchema } from "moleculer";
import { defineActions } from "../broker/define-action";
import type { BlobStore } from "../lib/blobs";
import type { TranscoderMetrics } from "../lib/metrics";
import { sweepScratch } from "../lib/transcoding/scratch";
import { transcode, type TranscodeOptions } from "../lib/transcoding/transcode";

/** Past the job timeout, the time a job may still take fetching its original and storing its renders. */
const SCRATCH_MARGIN_MS = 10 * 60_000;

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
    started() {
      // Not awaited: a node starts whatever is left of dead nodes' jobs, and sweeps it meanwhile.
      sweepScratch({ olderThanMs: deps.options.timeoutMs + SCRATCH_MARGIN_MS }).then(
        (swept) => {
          if (swept > 0) this.logger.info(`removed ${swept} scratch folders of jobs whose node died`);
        },
        (err: unknown) => this.logger.warn("sweeping dead jobs' scratch folders failed", err),
      );
    },
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
