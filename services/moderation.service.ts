import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import { call } from "../broker/calls";
import { standingChangedEverywhere } from "./users.service";
import { callerIdOf, defineActions } from "../broker/define-action";
import { AccountStanding, type Accounts } from "../lib/accounts";
import type { AuditLog } from "../lib/audit";
import { Admin, authorityOf, type Authority } from "../lib/admin";
import { NotFoundError } from "../lib/errors";
import {
  Moderation,
  ModerationErasure,
  Reports,
  type AccountReview,
  type ReportNotifier,
  type ReportTargets,
} from "../lib/moderation";
import type { WideRowStore } from "../lib/store/store";
import { adminClusterOf } from "./admin.service";

/** Moderation is for moderators and admins alike (the rest of the admin API is the admins' alone). */
const MODERATORS = ["admin", "moderator"] as const;

/**
 * The services owning what can be reported, reached over the broker with the request's caller: a reporter's
 * lookups run as the reporter, so each service's own visibility rules decide what they may report.
 */
function targetsThrough(ctx: Context, accounts: Accounts): ReportTargets {
  return {
    async find(reporterId, target) {
      switch (target.type) {
        case "post": {
          const post = await call(ctx, "posts.get", { id: target.id });
          return {
            authorId: post.author.id,
            ...(post.caption !== "" && { text: post.caption }),
            mediaIds: post.media.map((m) => m.id),
          };
        }
        case "comment":
          return call(ctx, "interactions.reportedComment", { id: target.id });
        case "story":
          return call(ctx, "stories.reported", { id: target.id });
        case "message":
          return call(ctx, "inbox.reportedMessage", {
            conversationId: target.conversationId ?? "",
            id: target.id,
          });
        case "account": {
          const user = await accounts.view(reporterId, target.id);
          if (user === undefined) throw new NotFoundError("USER_NOT_FOUND", "no such user");
          const text = [`@${user.username}`, user.displayName, user.bio].filter((s) => s !== "").join("\n");
          return { authorId: user.id, text, mediaIds: [] };
        }
      }
    },
    async remove(target) {
      switch (target.type) {
        case "post":
          return call(ctx, "posts.remove", { id: target.id });
        case "comment":
          return call(ctx, "interactions.removeComment", { id: target.id });
        case "story":
          return call(ctx, "stories.remove", { id: target.id });
        case "message":
          return call(ctx, "inbox.removeMessage", {
            conversationId: target.conversationId ?? "",
            id: target.id,
          });
        case "account":
          // An account is suspended, not removed: Moderation refuses it before this.
          return;
      }
    },
  };
}

function notifierThrough(ctx: Context): ReportNotifier {
  return {
    async resolved(reporterId, caseId, outcome, target) {
      await call(ctx, "inbox.notify", {
        recipientId: reporterId,
        type: "report_resolved",
        actorId: reporterId,
        report: { id: caseId, targetType: target.type, outcome },
      });
    },
  };
}

/**
 * A hold or its release changes what discovery shows: the nodes that keep profiles for a moment are told, once
 * per change (every report past the threshold holds again, every resolved case releases), and a failure to tell
 * them fails neither (the profiles they keep last 3 s).
 */
function reviewOf(standing: AccountStanding, broker: ServiceBroker): AccountReview {
  const told = async (userId: string, changed: boolean): Promise<void> => {
    if (!changed) return;
    await standingChangedEverywhere(broker, userId).catch((err: unknown) =>
      broker.logger.warn(`telling the cluster that ${userId}'s review standing changed failed`, err),
    );
  };
  return {
    hold: async (userId) => told(userId, await standing.hold(userId)),
    release: async (userId) => told(userId, await standing.release(userId)),
    usernameOf: async (userId) => (await standing.find(userId))?.username,
  };
}

/**
 * Reports and the moderation queue: thin handlers over lib/moderation. Hosted beside the users service, whose
 * rows say who is a moderator; the decisions are audited like every admin command.
 */
export function createModerationService(deps: {
  store: WideRowStore;
  audit: AuditLog;
  accounts: Accounts;
  ids: { next(): Promise<string> };
  holdReporters: number;
  now: () => number;
}): ServiceSchema {
  const standing = new AccountStanding(deps.store, deps.now);
  const erasure = new ModerationErasure(deps.store);
  let admin: Admin | undefined;
  const adminOf = (ctx: Context): Admin =>
    (admin ??= new Admin({
      standing,
      audit: deps.audit,
      cluster: adminClusterOf(ctx.broker),
      now: deps.now,
    }));
  const by = (ctx: Context): Promise<Authority> =>
    authorityOf(ctx.meta, (userId) => adminOf(ctx).account(userId), MODERATORS);
  const moderationOf = (ctx: Context): Moderation => {
    const found = adminOf(ctx);
    return new Moderation({
      store: deps.store,
      targets: targetsThrough(ctx, deps.accounts),
      review: reviewOf(standing, ctx.broker),
      notifier: notifierThrough(ctx),
      suspend: async (authority, userId, until, reason) => {
        await found.suspend(authority, {
          user: userId,
          reason,
          ...(until !== undefined && { until: until.toISOString() }),
        });
      },
      audited: (authority, command, target, params, run) =>
        found.auditedRaw(authority, command, target, params, run),
      now: deps.now,
    });
  };
  const reportsOf = (ctx: Context): Reports =>
    new Reports({
      store: deps.store,
      ids: deps.ids,
      targets: targetsThrough(ctx, deps.accounts),
      review: reviewOf(standing, ctx.broker),
      holdThreshold: deps.holdReporters,
      now: deps.now,
    });
  return {
    name: "moderation",
    actions: defineActions("moderation", {
      report: {
        // A retry would find the report already made (409): the client decides, with an Idempotency-Key.
        options: { retryPolicy: { enabled: false } },
        handler: (ctx) => reportsOf(ctx).file(callerIdOf(ctx), ctx.params),
      },
      mine: { handler: (ctx) => reportsOf(ctx).mine(callerIdOf(ctx), ctx.params) },
      queue: {
        handler: async (ctx) => {
          await by(ctx);
          return moderationOf(ctx).queue(ctx.params);
        },
      },
      case: {
        handler: async (ctx) => {
          await by(ctx);
          return moderationOf(ctx).detail(ctx.params.id);
        },
      },
      /** An erasure's step (lib/erasure): the reports the account filed. */
      erase: {
        handler: async (ctx) => ({ done: await erasure.erase(ctx.params.userId) }),
      },
      resolve: {
        options: { retryPolicy: { enabled: false }, timeout: 0 },
        handler: async (ctx) => moderationOf(ctx).resolve(await by(ctx), ctx.params),
      },
    }),
  };
}
