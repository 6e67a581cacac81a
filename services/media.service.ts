import type { Readable } from "node:stream";
import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import { call } from "../broker/calls";
import { callerIdOf, defineActions } from "../broker/define-action";
import { BadRequestError } from "../lib/errors";
import { periodicWork } from "../mixins/periodic-work.mixin";
import type { MediaLibrary, TranscodeJob } from "../lib/media-library/media-library";
import type { Uploads } from "../lib/media-library/uploads";

export interface MediaServiceDeps {
  library: MediaLibrary;
  uploads: Uploads;
  transcodeTimeoutMs: number;
}

const RESUME_EVERY_MS = 30_000;
const JANITOR_EVERY_MS = 3_600_000;
const MAX_ATTEMPTS = 5;
/**
 * An upload's call lasts as long as its client takes to send the file: minutes for a video on a phone. Under the
 * broker's bulkhead of 64 per action, 64 slow uploads made every other upload to the node wait for one of them to
 * end (a photo sent meanwhile got no answer in 10 s). Waiting uploads cost a stream each, not CPU; the gateways'
 * front doors bound how many come in.
 */
const UPLOADS_BULKHEAD = { enabled: true, concurrency: 1_000, maxQueueSize: 1_000 };

/**
 * Media records, uploads and the hand-over to transcoders. Jobs are sent with Moleculer (balanced over the
 * nodes that host `transcoder`, retried when a node fails); a job row in the store outlives the sender, and the
 * resumer sends again whatever stayed unfinished for longer than a job may take.
 */
export function createMediaService(deps: MediaServiceDeps): ServiceSchema {
  const { library, uploads } = deps;

  return {
    name: "media",
    mixins: [
      periodicWork([
        {
          name: "resuming transcode jobs",
          everyMs: RESUME_EVERY_MS,
          run: (broker) => resumeStaleJobs(broker, library, deps.transcodeTimeoutMs),
        },
        { name: "upload janitor", everyMs: JANITOR_EVERY_MS, run: () => uploads.sweepAbandoned() },
        // Every media node sweeps: removing a file twice is harmless (deletes are idempotent).
        { name: "deleted media janitor", everyMs: JANITOR_EVERY_MS, run: () => library.sweepDeleted() },
      ]),
    ],
    actions: defineActions("media", {
      /** For operators (admin.failedTranscodes, admin.retryTranscode). */
      failedTranscodes: {
        handler: async (ctx) => ({ items: await library.failedJobs(ctx.params.limit) }),
      },
      retryTranscode: { handler: (ctx) => library.retryFailed(ctx.params.mediaId) },
      /** An erasure's step (lib/erasure): every file and record of the account's media. */
      erase: {
        options: { timeout: 0 },
        handler: async (ctx) => ({ done: await library.eraseOwner(ctx.params.userId) }),
      },
      upload: {
        options: { timeout: 0, bulkhead: UPLOADS_BULKHEAD },
        handler: (ctx) =>
          library.ingest(callerIdOf(ctx), streamOf(ctx), ctx.params.$mimetype, ctx.params.altText),
      },
      get: {
        handler: (ctx) => library.get(callerIdOf(ctx), ctx.params.id),
      },
      describe: {
        handler: (ctx) => library.describe(callerIdOf(ctx), ctx.params.id, ctx.params.altText ?? ""),
      },
      /** For the users service: the URL of an image of the owner at avatar size, or null when it is none. */
      avatar: {
        handler: (ctx) => library.avatarOf(ctx.params.ownerId, ctx.params.mediaId),
      },
      /** For the users service: the avatar is as visible as the profile. */
      avatarChosen: {
        handler: (ctx) =>
          library.attach(ctx.params.ownerId, [ctx.params.mediaId], "followers", ctx.params.isPrivate),
      },
      /** For the users service: an owner went private (or public), and so do their posts', stories' and avatar's files. */
      ownerPrivacy: {
        handler: (ctx) => library.setOwnerPrivacy(ctx.params.ownerId, ctx.params.isPrivate),
      },
      startUpload: {
        handler: (ctx) => uploads.start(callerIdOf(ctx), ctx.params),
      },
      putPart: {
        options: { timeout: 0, bulkhead: UPLOADS_BULKHEAD },
        handler: (ctx) => uploads.putPart(callerIdOf(ctx), ctx.params.id, ctx.params.n, streamOf(ctx)),
      },
      uploadStatus: {
        handler: (ctx) => uploads.status(callerIdOf(ctx), ctx.params.id),
      },
      completeUpload: {
        options: { timeout: 0 },
        handler: (ctx) => uploads.complete(callerIdOf(ctx), ctx.params.id),
      },
      presign: {
        handler: (ctx) => uploads.presign(callerIdOf(ctx), ctx.params),
      },
      finalize: {
        options: { timeout: 0 },
        handler: (ctx) => uploads.finalize(callerIdOf(ctx), ctx.params.id),
      },
    }),
  };
}

/** Sends one job; its result (or its failure for good) is recorded when it comes back. */
export function dispatchTranscode(
  broker: ServiceBroker,
  library: () => MediaLibrary,
  timeoutMs: number,
): (job: TranscodeJob) => void {
  return (job) => {
    call(broker, "transcoder.process", job, { timeout: timeoutMs, retries: 3 })
      .then((outcome) =>
        outcome.ok
          ? library().recordResult(job, outcome.result)
          : library().recordFailure(job, outcome.reason),
      )
      .catch((err: unknown) => {
        // The job row stays: the resumer sends it again after the timeout.
        broker.logger.warn(
          `transcoding ${job.mediaId} failed for now`,
          err instanceof Error ? err.message : err,
        );
      });
  };
}

async function resumeStaleJobs(
  broker: ServiceBroker,
  library: MediaLibrary,
  timeoutMs: number,
): Promise<void> {
  for (const job of await library.staleJobs(timeoutMs * 2)) {
    if (job.attempts >= MAX_ATTEMPTS) {
      await library.recordFailure(job, `gave up after ${job.attempts} attempts`);
    } else {
      broker.logger.info(`sending transcode job ${job.mediaId} again (attempt ${job.attempts + 1})`);
      await library.resend(job);
    }
  }
}

function streamOf(ctx: Context): Readable {
  const stream = (ctx as unknown as { stream?: Readable | null }).stream;
  if (!stream) throw new BadRequestError("BODY_MISSING", "send the file's bytes in the request body");
  return stream;
}
