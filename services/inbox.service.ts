import type { Context, ServiceSchema } from "moleculer";
import { keepsPostRows } from "../mixins/post-rows.mixin";
import { call } from "../broker/calls";
import { actor, byCaller, byParam } from "../mixins/actor.mixin";
import { callerIdOf, defineActions, type CallerMeta } from "../broker/define-action";
import type { DeliverMessage, Inbox, MessageRecord } from "../lib/inbox";
import type { Posts } from "../lib/posts/posts";
import { NotFoundError } from "../lib/errors";
import type { PushSubscriptions } from "../lib/push";

const page = (p: { limit: number; cursor?: string | undefined }) => ({
  limit: p.limit,
  ...(p.cursor !== undefined && { cursor: p.cursor }),
});

/** Each member's share of a message goes to that member's owner, wherever it runs. */
function deliverThrough(ctx: Context): DeliverMessage {
  return async (userId: string, message: MessageRecord) => {
    await call(ctx, "inbox.deliverMessage", { userId, message });
  };
}

/**
 * Per-user inbox actors (mixins/actor.mixin.ts): notifications, direct messages and the stream log. The owner
 * of a user keeps their unread count and newest notifications in memory and writes through to the store.
 */
export function createInboxService(deps: {
  inbox: Inbox;
  posts: Posts;
  push: { subscriptions: PushSubscriptions; publicKey: string };
}): ServiceSchema {
  const { inbox, push } = deps;
  return {
    name: "inbox",
    mixins: [
      actor({ ringAction: "inbox.notifications", forgetAll: () => inbox.forgetAll() }),
      keepsPostRows(deps.posts),
    ],
    actions: defineActions("inbox", {
      notify: {
        options: byParam("recipientId"),
        handler: (ctx) => inbox.notify(ctx.params),
      },
      notifications: {
        options: byCaller,
        handler: (ctx) => inbox.listNotifications(callerIdOf(ctx), page(ctx.params)),
      },
      unreadCount: {
        options: byCaller,
        handler: (ctx) => inbox.unreadCount(callerIdOf(ctx)),
      },
      markRead: {
        options: byCaller,
        handler: (ctx) => inbox.markRead(callerIdOf(ctx), ctx.params.upToId),
      },
      openConversation: {
        options: byCaller,
        handler: async (ctx) => {
          const opened = await inbox.openConversation(callerIdOf(ctx), ctx.params.usernames);
          // The route answers 201; the same members' existing conversation is a 200.
          if (!opened.created) (ctx.meta as CallerMeta & { $statusCode?: number }).$statusCode = 200;
          return opened.conversation;
        },
      },
      conversations: {
        options: byCaller,
        handler: (ctx) => inbox.listConversations(callerIdOf(ctx), page(ctx.params)),
      },
      messages: {
        options: byCaller,
        handler: (ctx) => inbox.listMessages(callerIdOf(ctx), ctx.params.id, page(ctx.params)),
      },
      send: {
        // Not idempotent: a retry after a failure part-way would store the message twice. Deliveries to
        // the members are retried on their own (deliverMessage is idempotent); the client decides on the rest.
        options: { ...byCaller, retryPolicy: { enabled: false } },
        handler: (ctx) => {
          const { id, ...content } = ctx.params;
          return inbox.send(callerIdOf(ctx), id, content, deliverThrough(ctx));
        },
      },
      markConversationRead: {
        options: byCaller,
        handler: (ctx) => inbox.markConversationRead(callerIdOf(ctx), ctx.params.id),
      },
      /** Sent to each member's owner with a stored message. */
      deliverMessage: {
        options: byParam("userId"),
        handler: (ctx) => inbox.deliverMessage(ctx.params.userId, ctx.params.message),
      },
      /** Backs the Messenger port: a post shared with each recipient as a message. */
      sharePost: {
        options: { retryPolicy: { enabled: false } },
        handler: (ctx) =>
          inbox.sharePost(
            ctx.params.senderId,
            ctx.params.recipientIds,
            ctx.params.postId,
            deliverThrough(ctx),
          ),
      },
      /** For moderation: reports (members only) and removals. */
      reportedMessage: {
        handler: (ctx) => inbox.reportedMessage(callerIdOf(ctx), ctx.params.conversationId, ctx.params.id),
      },
      /** For operators (admin.backfillActivity). */
      backfillIndexes: {
        options: { timeout: 0 },
        handler: async () => ({ indexed: await inbox.backfillIndexes() }),
      },
      /** An erasure's step (lib/erasure): the account's conversations, notifications and subscriptions. */
      erase: {
        options: { timeout: 0 },
        handler: async (ctx) => {
          const { touched, ...progress } = await inbox.erasure.erase(ctx.params.userId, ctx.params.cursor);
          for (const userId of touched) await call(ctx, "inbox.forgetUser", { userId });
          if (progress.done) await push.subscriptions.eraseAll(ctx.params.userId);
          return progress;
        },
      },
      /** Run on the user's owner: their notifications changed behind its memory (an erasure). */
      forgetUser: {
        options: byParam("userId"),
        handler: (ctx) => inbox.forgetUser(ctx.params.userId),
      },
      removeMessage: {
        handler: (ctx) => inbox.removeMessage(ctx.params.conversationId, ctx.params.id),
      },
      /** Web Push: the key to subscribe with, and one's subscriptions (lib/push). */
      pushKey: { handler: () => Promise.resolve({ publicKey: push.publicKey }) },
      pushSubscriptions: {
        handler: async (ctx) => ({ items: await push.subscriptions.list(callerIdOf(ctx)) }),
      },
      subscribePush: { handler: (ctx) => push.subscriptions.subscribe(callerIdOf(ctx), ctx.params) },
      unsubscribePush: {
        handler: async (ctx) => {
          if (!(await push.subscriptions.unsubscribe(callerIdOf(ctx), ctx.params.endpoint))) {
            throw new NotFoundError(
              "PUSH_SUBSCRIPTION_NOT_FOUND",
              "no subscription of yours has this endpoint",
            );
          }
        },
      },
      /** The gateway's `Last-Event-ID` resumption. */
      replay: {
        options: byParam("userId"),
        handler: (ctx) => inbox.replay(ctx.params.userId, ctx.params.afterId, ctx.params.limit),
      },
    }),
  };
}
