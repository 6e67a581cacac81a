import type { Context, ServiceSchema } from "moleculer";
import { call } from "../broker/calls";
import { callerIdOf, defineActions } from "../broker/define-action";
import type { Accounts } from "../lib/accounts";
import type { UserView } from "../lib/accounts/user-view";
import { BadRequestError, ForbiddenError, NotFoundError } from "../lib/errors";
import type { Mute } from "../lib/graph/mutes";
import type { Graph } from "../lib/graph/graph";
import type { NotificationInput, Notifier } from "../lib/contracts/ports";

/** A mute as the API shows it. */
function muteView(mute: Mute | undefined): { muting: boolean; until: string | null } {
  return { muting: mute !== undefined, until: isoOrNull(mute?.until) };
}

function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** Follows, requests, blocks, mutes and close friends; usernames are resolved here, the rules live in lib/graph. */
export function createGraphService(deps: {
  graph: Graph;
  accounts: Accounts;
  notifier: Notifier;
}): ServiceSchema {
  const { graph, accounts, notifier } = deps;

  /** The follow stands whatever happens to its notification. */
  async function notify(ctx: Context, input: NotificationInput): Promise<void> {
    await notifier.notify(input).catch((err: unknown) => {
      ctx.broker.logger.warn("a follow notification was lost", err instanceof Error ? err.message : err);
    });
  }

  /** The user behind a username as the caller sees them: a block either way hides them (404). */
  const target = (viewerId: string, name: string): Promise<UserView> =>
    accounts.getByUsername(viewerId, name);

  /**
   * The id of any account, hidden by a block or not: for blocking, unblocking and unfollowing, which the caller
   * may repeat and which must work on someone hidden from them (a block is undone by its blocker). Names are
   * no secret (sign-up tells which are taken), so only a name that is nobody's answers 404.
   */
  async function existing(name: string): Promise<string> {
    const id = await accounts.idOf(name);
    if (id === undefined) throw new NotFoundError("USER_NOT_FOUND", "no such user");
    return id;
  }

  /** Pages of ids turned into the users the viewer may see. */
  async function usersPage(viewerId: string, page: { ids: string[]; nextCursor: string | null }) {
    const views = await Promise.all(page.ids.map((id) => accounts.view(viewerId, id)));
    return { items: views.filter((v): v is UserView => v !== undefined), nextCursor: page.nextCursor };
  }

  /** A private account's lists are for its approved followers, as its posts are. */
  async function listable(viewerId: string, name: string): Promise<UserView> {
    const owner = await target(viewerId, name);
    if (owner.isPrivate && owner.id !== viewerId && !(await graph.canSeePrivate(viewerId, owner.id))) {
      throw new ForbiddenError("PRIVATE_ACCOUNT", "this account is private");
    }
    return owner;
  }

  /** A new follow brings the followee's recent posts into the follower's feed; the follow stands if this fails. */
  async function backfill(ctx: Context, followerId: string, followeeId: string): Promise<void> {
    await call(ctx, "timeline.backfill", { userId: followerId, authorId: followeeId }).catch(
      (err: unknown) => {
        ctx.broker.logger.warn("feed backfill failed", err instanceof Error ? err.message : err);
      },
    );
  }

  const page = (p: { limit: number; cursor?: string | undefined }) => ({
    limit: p.limit,
    ...(p.cursor !== undefined && { cursor: p.cursor }),
  });

  return {
    name: "graph",
    actions: defineActions("graph", {
      follow: {
        handler: async (ctx) => {
          const caller = callerIdOf(ctx);
          const user = await target(caller, ctx.params.username);
          const result = await graph.follow(caller, { id: user.id, isPrivate: user.isPrivate });
          if (result.state === "following") await backfill(ctx, caller, user.id);
          if (result.state === "following" || result.state === "requested") {
            const type = result.state === "following" ? "follow" : "follow_request";
            await notify(ctx, { recipientId: user.id, type, actorId: caller });
          }
          return result;
        },
      },
      unfollow: {
        // Idempotent for any account, even one hidden by a block (which left no follow to end).
        handler: async (ctx) => graph.unfollow(callerIdOf(ctx), await existing(ctx.params.username)),
      },
      requests: {
        handler: async (ctx) => {
          const caller = callerIdOf(ctx);
          return usersPage(caller, await graph.listRequests(caller, page(ctx.params)));
        },
      },
      approve: {
        handler: async (ctx) => {
          const caller = callerIdOf(ctx);
          const requester = await target(caller, ctx.params.username);
          await graph.approve(caller, requester.id);
          await backfill(ctx, requester.id, caller);
          await notify(ctx, { recipientId: requester.id, type: "follow_accepted", actorId: caller });
          return { state: "approved" as const };
        },
      },
      reject: {
        handler: async (ctx) => {
          const caller = callerIdOf(ctx);
          const requester = await target(caller, ctx.params.username);
          await graph.reject(caller, requester.id);
          return { state: "rejected" as const };
        },
      },
      block: {
        handler: async (ctx) => {
          await graph.block(callerIdOf(ctx), await existing(ctx.params.username));
          return { blocking: true };
        },
      },
      unblock: {
        handler: async (ctx) => {
          await graph.unblock(callerIdOf(ctx), await existing(ctx.params.username));
          return { blocking: false };
        },
      },
      mute: {
        handler: async (ctx) => {
          const caller = callerIdOf(ctx);
          // As for following: someone hidden by a block either way is nobody to the caller (404).
          const user = await target(caller, ctx.params.username);
          if (user.id === caller) throw new BadRequestError("CANNOT_MUTE_SELF", "you cannot mute yourself");
          return muteView(await graph.mutes.mute(caller, user.id, ctx.params.seconds));
        },
      },
      unmute: {
        handler: async (ctx) => {
          await graph.mutes.unmute(callerIdOf(ctx), await existing(ctx.params.username));
          return muteView(undefined);
        },
      },
      muteState: {
        handler: async (ctx) => {
          const caller = callerIdOf(ctx);
          return muteView(await graph.mutes.of(caller, await existing(ctx.params.username)));
        },
      },
      mutes: {
        handler: async (ctx) => {
          const caller = callerIdOf(ctx);
          const muted = await graph.mutes.page(caller, page(ctx.params));
          const users = await Promise.all(muted.items.map((mute) => accounts.view(caller, mute.userId)));
          return {
            items: muted.items.flatMap((mute, i) => {
              const user = users[i];
              return user === undefined ? [] : [{ user, until: isoOrNull(mute.until) }];
            }),
            nextCursor: muted.nextCursor,
          };
        },
      },
      closeFriends: {
        handler: async (ctx) => {
          const caller = callerIdOf(ctx);
          return usersPage(caller, await graph.closeFriends.page(caller, page(ctx.params)));
        },
      },
      addCloseFriend: {
        handler: async (ctx) => {
          const caller = callerIdOf(ctx);
          // Someone hidden by a block either way cannot be added (404), as they cannot be followed.
          const friend = await target(caller, ctx.params.username);
          await graph.closeFriends.add(caller, friend.id);
          return { closeFriend: true as const };
        },
      },
      removeCloseFriend: {
        handler: async (ctx) => {
          await graph.closeFriends.remove(callerIdOf(ctx), await existing(ctx.params.username));
          return { closeFriend: false as const };
        },
      },
      followers: {
        handler: async (ctx) => {
          const caller = callerIdOf(ctx);
          const owner = await listable(caller, ctx.params.username);
          return usersPage(caller, await graph.followers(owner.id, page(ctx.params)));
        },
      },
      following: {
        handler: async (ctx) => {
          const caller = callerIdOf(ctx);
          const owner = await listable(caller, ctx.params.username);
          return usersPage(caller, await graph.following(owner.id, page(ctx.params)));
        },
      },
      /** For operators (admin.recountUser): a repair that walks the user's lists. */
      recount: { options: { timeout: 0 }, handler: (ctx) => graph.reconcileCounts(ctx.params.userId) },
      /** For operators (admin.backfillActivity). */
      backfillIndexes: {
        options: { timeout: 0 },
        handler: async () => ({ indexed: await graph.backfillIndexes() }),
      },
      /** An erasure's step (lib/erasure): the account's follows, requests, blocks, close friends and mutes. */
      erase: {
        options: { timeout: 0 },
        handler: (ctx) => graph.erasure.erase(ctx.params.userId, ctx.params.cursor),
      },
    }),
  };
}
