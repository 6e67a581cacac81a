import type { ServiceBroker, ServiceSchema } from "moleculer";
import { call } from "../broker/calls";
import { callerIdOf, defineActions } from "../broker/define-action";
import type { CallerProofs } from "../lib/accounts";
import type { ExportReader, Exports, ReaderFor } from "../lib/export";
import { periodicWork } from "../mixins/periodic-work.mixin";

/** How often every node looks for queued jobs: those recorded elsewhere, and those a dead node left. */
const QUEUE_SWEEP_EVERY_MS = 5_000;
const EXPIRY_SWEEP_EVERY_MS = 3_600_000;
/** Items per page read from the other services: their largest page. */
const PAGE_LIMIT = 100;

export interface ExportServiceDeps {
  exports: Exports;
  callerProofs: CallerProofs;
}

/**
 * Data exports (issue #17). Hosted beside `media`, whose nodes hold the blob store and the media records the
 * archive's originals come from; every other part of the account is read over the broker from the service that
 * owns it, as the owner (a caller signed for each call, as an operator's act-as is), so each service's own rules
 * and routing (the inbox's owner node) apply, in whatever layout the cluster has.
 */
export function createExportService(deps: ExportServiceDeps): ServiceSchema {
  const { exports } = deps;
  const readerFor =
    (broker: ServiceBroker): ReaderFor =>
    (userId, exportId) =>
      readerThrough(broker, deps.callerProofs, userId, exportId);
  return {
    name: "export",
    mixins: [
      periodicWork([
        {
          name: "building queued exports",
          everyMs: QUEUE_SWEEP_EVERY_MS,
          run: (b) => exports.runQueued(readerFor(b)),
        },
        {
          name: "deleting expired exports",
          everyMs: EXPIRY_SWEEP_EVERY_MS,
          run: () => exports.sweepExpired(),
        },
      ]),
    ],
    actions: defineActions("export", {
      start: {
        handler: async (ctx) => {
          const started = await exports.start(callerIdOf(ctx));
          // This node starts on it at once; the sweeps of the others are the fallback if it dies.
          void exports
            .runQueued(readerFor(ctx.broker))
            .catch((err: unknown) =>
              ctx.broker.logger.warn("building exports failed", err instanceof Error ? err.message : err),
            );
          return started;
        },
      },
      status: { handler: (ctx) => exports.latest(callerIdOf(ctx)) },
      /** An erasure's step (lib/erasure): the account's archives and their jobs. */
      erase: { handler: async (ctx) => ({ done: await exports.eraseUser(ctx.params.userId) }) },
    }),
  };
}

/**
 * The account as its owner sees it, through the actions the gateway routes for them. Each call carries a caller
 * proof signed for that call's own request id; its session names the job, so whatever logs the caller points at it.
 */
function readerThrough(
  broker: ServiceBroker,
  proofs: CallerProofs,
  userId: string,
  exportId: string,
): ExportReader {
  const caller = { userId, sessionId: `export-${exportId}` };
  const asOwner = () => {
    const requestID = broker.generateUid();
    return { requestID, meta: { user: { ...caller, proof: proofs.sign(caller, requestID) } } };
  };
  const page = (cursor: string | undefined) => ({
    limit: PAGE_LIMIT,
    ...(cursor !== undefined && { cursor }),
  });
  return {
    profile: () => call(broker, "users.me", {}, asOwner()),
    posts: (username, cursor) => call(broker, "posts.byUser", { username, ...page(cursor) }, asOwner()),
    comments: (cursor) => call(broker, "interactions.myComments", page(cursor), asOwner()),
    liked: (cursor) => call(broker, "interactions.liked", page(cursor), asOwner()),
    following: (username, cursor) =>
      call(broker, "graph.following", { username, ...page(cursor) }, asOwner()),
    followers: (username, cursor) =>
      call(broker, "graph.followers", { username, ...page(cursor) }, asOwner()),
    conversations: (cursor) => call(broker, "inbox.conversations", page(cursor), asOwner()),
    messages: (id, cursor) => call(broker, "inbox.messages", { id, ...page(cursor) }, asOwner()),
    stories: async (username) => (await call(broker, "stories.byUser", { username }, asOwner())).items,
  };
}
