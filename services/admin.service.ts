import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import { call } from "../broker/calls";
import { sessionEndedEverywhere, standingChangedEverywhere } from "./users.service";
import { defineActions } from "../broker/define-action";
import { AccountStanding } from "../lib/accounts";
import { Admin, authorityOf, type AdminCluster, type Authority } from "../lib/admin";
import type { AuditLog } from "../lib/audit";
import type { WideRowStore } from "../lib/store/store";
import { NotFoundError } from "../lib/errors";

/** Repairs walk whole lists: they may take far longer than a request. */
const REPAIR_TIMEOUT_MS = 10 * 60_000;

/** The services owning the data, as admin commands reach them over the broker. */
export function adminClusterOf(broker: ServiceBroker): AdminCluster {
  return {
    standingChanged: (userId) => standingChangedEverywhere(broker, userId),
    async sessionsRevoked(userId, sessionIds) {
      for (const sessionId of sessionIds) await sessionEndedEverywhere(broker, { userId, sessionId });
    },
    recountFollows: (userId) => call(broker, "graph.recount", { userId }, { timeout: REPAIR_TIMEOUT_MS }),
    recountPosts: async (userId) =>
      (await call(broker, "posts.recount", { userId }, { timeout: REPAIR_TIMEOUT_MS })).posts,
    recountPost: (postId) => call(broker, "interactions.recount", { postId }, { timeout: REPAIR_TIMEOUT_MS }),
    rebuildTimeline: (userId) => call(broker, "timeline.rebuild", { userId }, { timeout: REPAIR_TIMEOUT_MS }),
    backfillActivity: async () => {
      const [activity, graph, inbox] = await Promise.all([
        call(broker, "interactions.backfillActivity", {}, { timeout: REPAIR_TIMEOUT_MS }),
        call(broker, "graph.backfillIndexes", {}, { timeout: REPAIR_TIMEOUT_MS }),
        call(broker, "inbox.backfillIndexes", {}, { timeout: REPAIR_TIMEOUT_MS }),
      ]);
      return { ...activity, indexed: activity.indexed + graph.indexed + inbox.indexed };
    },
    eraseDue: async () => (await call(broker, "users.eraseDue", {}, { timeout: 0 })).erased,
    failedTranscodes: async (limit) => (await call(broker, "media.failedTranscodes", { limit })).items,
    retryTranscode: (mediaId) => call(broker, "media.retryTranscode", { mediaId }),
    async drain(nodeId) {
      const drainable =
        broker.registry.getActionEndpoints("lifecycle.drain")?.endpoints.map((e) => e.id) ?? [];
      if (!drainable.includes(nodeId)) {
        throw new NotFoundError("NODE_NOT_FOUND", `no node ${JSON.stringify(nodeId)} that can be drained`);
      }
      await call(broker, "lifecycle.drain", {}, { nodeID: nodeId, retries: 0 });
    },
  };
}

/**
 * The admin API and the operator's console: thin handlers over lib/admin. Hosted beside the users service, whose
 * rows say who is an admin; every call is allowed to a proven console operator or an account with the admin role.
 */
export function createAdminService(deps: {
  store: WideRowStore;
  audit: AuditLog;
  now: () => number;
}): ServiceSchema {
  let admin: Admin | undefined;
  const adminOf = (ctx: Context): Admin =>
    (admin ??= new Admin({
      standing: new AccountStanding(deps.store, deps.now),
      audit: deps.audit,
      cluster: adminClusterOf(ctx.broker),
      now: deps.now,
    }));
  const by = (ctx: Context): Promise<Authority> => {
    const found = adminOf(ctx);
    return authorityOf(ctx.meta, (userId) => found.account(userId));
  };
  return {
    name: "admin",
    actions: defineActions("admin", {
      lookup: {
        handler: async (ctx) => {
          await by(ctx);
          return adminOf(ctx).lookup(ctx.params.user);
        },
      },
      suspend: { handler: async (ctx) => adminOf(ctx).suspend(await by(ctx), ctx.params) },
      unsuspend: { handler: async (ctx) => adminOf(ctx).unsuspend(await by(ctx), ctx.params.user) },
      revokeSessions: { handler: async (ctx) => adminOf(ctx).revokeSessions(await by(ctx), ctx.params.user) },
      setRole: {
        handler: async (ctx) => adminOf(ctx).setRole(await by(ctx), ctx.params.user, ctx.params.role),
      },
      recountUser: {
        options: { timeout: 0 },
        handler: async (ctx) => adminOf(ctx).recountUser(await by(ctx), ctx.params.user),
      },
      recountPost: {
        options: { timeout: 0 },
        handler: async (ctx) => adminOf(ctx).recountPost(await by(ctx), ctx.params.id),
      },
      rebuildTimeline: {
        options: { timeout: 0 },
        handler: async (ctx) => adminOf(ctx).rebuildTimeline(await by(ctx), ctx.params.user),
      },
      backfillActivity: {
        options: { timeout: 0 },
        handler: async (ctx) => adminOf(ctx).backfillActivity(await by(ctx)),
      },
      eraseDue: {
        options: { timeout: 0 },
        handler: async (ctx) => adminOf(ctx).eraseDue(await by(ctx)),
      },
      failedTranscodes: {
        handler: async (ctx) => {
          await by(ctx);
          return { items: await adminOf(ctx).failedTranscodes(ctx.params.limit) };
        },
      },
      retryTranscode: {
        handler: async (ctx) => adminOf(ctx).retryTranscode(await by(ctx), ctx.params.mediaId),
      },
      drainNode: { handler: async (ctx) => adminOf(ctx).drain(await by(ctx), ctx.params.nodeId) },
      audit: {
        handler: async (ctx) => {
          await by(ctx);
          const { day, limit } = ctx.params;
          return { items: await adminOf(ctx).auditLog({ ...(day !== undefined && { day }), limit }) };
        },
      },
    }),
  };
}
