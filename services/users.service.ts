import type { ServiceSchema } from "moleculer";
import { z } from "zod";
import { callerOf, defineAction } from "../broker/define-action";
import type { Accounts } from "../lib/accounts";
import { streamBroadcasts, type SessionEnded } from "../lib/stream/events";
import { byUsernameParams, loginParams, signupParams, updateMeParams } from "../lib/accounts/params";

const noParams = z.strictObject({});

/** Accounts and profiles. Handlers only pick the caller out of the context and hand over to lib/accounts. */
export function createUsersService(deps: { accounts: Accounts }): ServiceSchema {
  const { accounts } = deps;
  return {
    name: "users",
    actions: {
      signup: defineAction({ params: signupParams, handler: (ctx) => accounts.signup(ctx.params) }),
      login: defineAction({ params: loginParams, handler: (ctx) => accounts.login(ctx.params) }),
      logout: defineAction({
        params: noParams,
        handler: async (ctx) => {
          const caller = callerOf(ctx);
          await accounts.logout(caller);
          // Streams opened with the revoked token close too, on whichever gateway holds them.
          const ended: SessionEnded = { userId: caller.userId, sessionId: caller.sessionId };
          await ctx.broadcast(streamBroadcasts.sessionEnded, ended, { groups: ["gateway"] });
        },
      }),
      me: defineAction({ params: noParams, handler: (ctx) => accounts.me(callerOf(ctx).userId) }),
      updateMe: defineAction({
        params: updateMeParams,
        handler: (ctx) => accounts.updateMe(callerOf(ctx).userId, ctx.params),
      }),
      get: defineAction({
        params: byUsernameParams,
        handler: (ctx) => accounts.getByUsername(ctx.meta.user?.userId, ctx.params.username),
      }),
      /** Used by gateways on every authenticated request; not routed to clients. */
      authenticate: defineAction({
        visibility: "public",
        params: z.strictObject({ token: z.string().min(1).max(4096) }),
        handler: (ctx) => accounts.authenticate(ctx.params.token),
      }),
    },
  };
}
