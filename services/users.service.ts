import type { ServiceBroker, ServiceSchema } from "moleculer";
import { broadcast, call, callEveryNode } from "../broker/calls";
import { callerOf, defineActions } from "../broker/define-action";
import type { Accounts, CallerProofs, Recovery } from "../lib/accounts";
import type { AuditLog } from "../lib/audit";
import type { ActionName } from "../lib/contracts";
import { AccountErasure, ErasureSchedule, type ErasureStep } from "../lib/erasure";
import type { WideRowStore } from "../lib/store/store";
import { periodicWork } from "../mixins/periodic-work.mixin";

const FORGET_TIMEOUT_MS = 2_000;
/** How often a users node looks for deleted accounts whose grace period is over. */
const ERASURE_SWEEP_EVERY_MS = 60_000;

/** The action of each erasure step, on whichever node hosts that part of the account. */
const ERASURE_ACTIONS = {
  timeline: "timeline.erase",
  posts: "posts.erase",
  stories: "stories.erase",
  interactions: "interactions.erase",
  graph: "graph.erase",
  inbox: "inbox.erase",
  moderation: "moderation.erase",
  export: "export.erase",
  media: "media.erase",
  users: "users.erase",
} as const satisfies Record<ErasureStep, ActionName>;

/** Runs the erasure of deleted accounts from this node, each step over the broker (lib/erasure). */
function erasureThrough(
  broker: ServiceBroker,
  deps: { store: WideRowStore; accounts: Accounts; now: () => number },
): AccountErasure {
  return new AccountErasure({
    store: deps.store,
    schedule: new ErasureSchedule(deps.store, deps.now),
    runStep: (step, userId, cursor) =>
      call(
        broker,
        ERASURE_ACTIONS[step],
        { userId, ...(cursor !== undefined && { cursor }) },
        { timeout: 0 },
      ),
    holder: broker.nodeID,
    now: deps.now,
    isDue: (userId) => deps.accounts.isDueForErasure(userId),
    log: (message) => broker.logger.info(message),
    warn: (message, err) => broker.logger.warn(message, err instanceof Error ? err.message : err),
  });
}

/**
 * After a session's row is deleted: every users node stops taking it as live before the answer (one that cannot
 * be told in time honours it within its cache's life, lib/accounts), and streams opened with its token close on
 * whichever gateway holds them. For a logout and for an operator's revocation alike.
 */
export async function sessionEndedEverywhere(
  broker: ServiceBroker,
  session: { userId: string; sessionId: string },
): Promise<void> {
  const untold = await callEveryNode(broker, "users.forgetSession", session, FORGET_TIMEOUT_MS);
  if (untold.length > 0) broker.logger.warn(`ending a session could not reach ${untold.join(", ")}`);
  await broadcast(broker, "stream.session-ended", session, ["gateway"]);
}

/**
 * An account's standing changed (suspended, deleted by its owner, held for review, or back): the nodes that keep
 * profiles for a moment (feed authors on timeline nodes, people found on search nodes) drop it at once.
 */
export async function standingChangedEverywhere(broker: ServiceBroker, userId: string): Promise<void> {
  await broadcast(broker, "accounts.standing-changed", { userId }, ["timeline", "search"]);
}

/** Accounts and profiles. Handlers only pick the caller out of the context and hand over to lib/accounts. */
export function createUsersService(deps: {
  accounts: Accounts;
  callerProofs: CallerProofs;
  audit: AuditLog;
  recovery: Recovery;
  /** How long a deleted account waits, hidden, before it is erased. */
  deletionGraceMs: number;
  store: WideRowStore;
  now: () => number;
}): ServiceSchema {
  const { accounts, callerProofs, audit, recovery } = deps;
  let erasure: AccountErasure | undefined;
  const erasureOf = (broker: ServiceBroker) => (erasure ??= erasureThrough(broker, deps));
  return {
    name: "users",
    mixins: [
      periodicWork([
        {
          name: "erasing deleted accounts",
          everyMs: ERASURE_SWEEP_EVERY_MS,
          run: (broker) => erasureOf(broker).sweep(),
        },
      ]),
    ],
    actions: defineActions("users", {
      signup: { handler: (ctx) => accounts.signup(ctx.params, ctx.meta.client) },
      login: { handler: (ctx) => accounts.login(ctx.params, ctx.meta.client) },
      logout: {
        handler: async (ctx) => {
          const caller = callerOf(ctx);
          await accounts.logout(caller);
          await sessionEndedEverywhere(ctx.broker, caller);
        },
      },
      me: { handler: (ctx) => accounts.me(callerOf(ctx).userId) },
      sessions: {
        handler: async (ctx) => {
          const caller = callerOf(ctx);
          return { items: await accounts.sessions.list(caller.userId, caller.sessionId) };
        },
      },
      endSession: {
        handler: async (ctx) => {
          const ended = await accounts.sessions.end(callerOf(ctx).userId, ctx.params.id);
          await sessionEndedEverywhere(ctx.broker, ended);
        },
      },
      endOtherSessions: {
        handler: async (ctx) => {
          const caller = callerOf(ctx);
          const ended = await accounts.sessions.endAllBut(caller.userId, caller.sessionId);
          await Promise.all(ended.map((session) => sessionEndedEverywhere(ctx.broker, session)));
        },
      },
      changePassword: {
        handler: async (ctx) => {
          const ended = await accounts.changePassword(callerOf(ctx), ctx.params);
          await Promise.all(ended.map((session) => sessionEndedEverywhere(ctx.broker, session)));
        },
      },
      deleteMe: {
        handler: async (ctx) => {
          const caller = callerOf(ctx);
          const { eraseAfter, ended } = await accounts.deactivate(
            caller,
            ctx.params.password,
            deps.deletionGraceMs,
          );
          await Promise.all(ended.map((session) => sessionEndedEverywhere(ctx.broker, session)));
          await standingChangedEverywhere(ctx.broker, caller.userId);
          return { eraseAfter: eraseAfter.toISOString() };
        },
      },
      requestPasswordReset: {
        handler: async (ctx) => {
          await recovery.requestReset(ctx.params.email);
          return { message: "If an account has this address, a link to reset its password is on its way." };
        },
      },
      confirmPasswordReset: {
        handler: async (ctx) => {
          const ended = await recovery.confirmReset(ctx.params.token, ctx.params.password);
          for (const session of ended) accounts.forgetSession(session);
          await Promise.all(ended.map((session) => sessionEndedEverywhere(ctx.broker, session)));
        },
      },
      verifyEmail: { handler: (ctx) => recovery.verifyEmail(ctx.params.token) },
      resendVerification: {
        handler: async (ctx) => {
          await recovery.resendVerification(ctx.params.email);
          return { message: "If an unconfirmed account has this address, a new link is on its way." };
        },
      },
      updateMe: { handler: (ctx) => accounts.updateMe(callerOf(ctx).userId, ctx.params) },
      get: { handler: (ctx) => accounts.getByUsername(ctx.meta.user?.userId, ctx.params.username) },
      authenticate: {
        // The code that checked the token is the one that vouches for the caller: the proof it adds lets every
        // node tell this caller, for this request, from a `meta.user` anyone on the transporter could write.
        handler: async (ctx) => {
          const caller = await accounts.authenticate(ctx.params.token);
          const requestId = ctx.requestID ?? ctx.id;
          // A gateway in this process gets the caller as an object no other node can forge (signed if a call
          // takes it elsewhere); one on another node gets the proof with it.
          return ctx.nodeID === ctx.broker.nodeID
            ? callerProofs.vouch(caller, requestId)
            : { ...caller, proof: callerProofs.sign(caller, requestId) };
        },
      },
      recordAudit: {
        handler: (ctx) => {
          const { id, at, ...entry } = ctx.params;
          return audit.record(entry, id !== undefined && at !== undefined ? { id, at } : undefined);
        },
      },
      auditLog: {
        handler: async (ctx) => ({
          rows: await audit.read({
            ...(ctx.params.day !== undefined && { day: ctx.params.day }),
            ...(ctx.params.limit !== undefined && { limit: ctx.params.limit }),
          }),
        }),
      },
      /** The last erasure step (lib/erasure): the account's sessions, claims and row. */
      erase: {
        handler: async (ctx) => {
          await accounts.erase(ctx.params.userId);
          return { done: true };
        },
      },
      /** Erases now the deleted accounts whose grace period is over (operators; each node also does it every minute). */
      eraseDue: {
        options: { timeout: 0 },
        handler: async (ctx) => ({ erased: await erasureOf(ctx.broker).sweep() }),
      },
      forgetSession: {
        handler: (ctx) => {
          accounts.forgetSession(ctx.params);
          return Promise.resolve();
        },
      },
    }),
  };
}
