import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import { OWNER_STRATEGY, OwnerRing } from "../broker/owner-strategy";
import { callerIdOf, defineAction, type CallerMeta } from "../broker/define-action";
import type { DeliverMessage, Inbox, MessageRecord } from "../lib/inbox";
import {
  conversationIdParams,
  conversationPageParams,
  deliverMessageParams,
  markReadParams,
  noParams,
  notifyParams,
  openConversationParams,
  pageOnlyParams,
  replayParams,
  sendParams,
  sharePostParams,
} from "../lib/inbox/params";

/** Owner keys: every per-user action of one user reaches the node that owns that user's inbox. */
const BY_CALLER = { strategy: OWNER_STRATEGY, strategyOptions: { shardKey: "#user.userId" } };
const BY_USER_PARAM = { strategy: OWNER_STRATEGY, strategyOptions: { shardKey: "userId" } };
const BY_RECIPIENT = { strategy: OWNER_STRATEGY, strategyOptions: { shardKey: "recipientId" } };

const page = (p: { limit: number; cursor?: string | undefined }) => ({
  limit: p.limit,
  ...(p.cursor !== undefined && { cursor: p.cursor }),
});

/** Each member's share of a message goes to that member's owner, wherever it runs. */
function deliverThrough(ctx: Context): DeliverMessage {
  return async (userId: string, message: MessageRecord) => {
    await ctx.call("inbox.deliverMessage", { userId, message });
  };
}

/**
 * Per-user inbox actors: notifications, direct messages and the stream log. The Owner strategy (broker/owner-strategy.ts) routes
 * every action of one user to one node, which keeps that user's unread count and newest notifications in
 * memory and writes through to the store; when nodes join or leave the ring moves, so memory is dropped and
 * rebuilt from the store on the next call.
 */
export function createInboxService(deps: { inbox: Inbox }): ServiceSchema {
  const { inbox } = deps;
  let ring: OwnerRing | undefined;
  const ringMayHaveChanged = () => {
    if (ring?.changed() === true) inbox.forgetAll();
  };
  return {
    name: "inbox",
    actions: {
      notify: {
        ...defineAction({
          visibility: "public",
          params: notifyParams,
          handler: (ctx) => inbox.notify(ctx.params),
        }),
        ...BY_RECIPIENT,
      },
      notifications: {
        ...defineAction({
          params: pageOnlyParams,
          handler: (ctx) => inbox.listNotifications(callerIdOf(ctx), page(ctx.params)),
        }),
        ...BY_CALLER,
      },
      unreadCount: {
        ...defineAction({
          params: noParams,
          handler: (ctx) => inbox.unreadCount(callerIdOf(ctx)),
        }),
        ...BY_CALLER,
      },
      markRead: {
        ...defineAction({
          params: markReadParams,
          handler: (ctx) => inbox.markRead(callerIdOf(ctx), ctx.params.upToId),
        }),
        ...BY_CALLER,
      },
      openConversation: {
        ...defineAction({
          params: openConversationParams,
          handler: async (ctx) => {
            const opened = await inbox.openConversation(callerIdOf(ctx), ctx.params.usernames);
            // The route answers 201; the same members' existing conversation is a 200.
            if (!opened.created) (ctx.meta as CallerMeta & { $statusCode?: number }).$statusCode = 200;
            return opened.conversation;
          },
        }),
        ...BY_CALLER,
      },
      conversations: {
        ...defineAction({
          params: pageOnlyParams,
          handler: (ctx) => inbox.listConversations(callerIdOf(ctx), page(ctx.params)),
        }),
        ...BY_CALLER,
      },
      messages: {
        ...defineAction({
          params: conversationPageParams,
          handler: (ctx) => inbox.listMessages(callerIdOf(ctx), ctx.params.id, page(ctx.params)),
        }),
        ...BY_CALLER,
      },
      send: {
        ...defineAction({
          params: sendParams,
          // Not idempotent: a retry after a failure part-way would store the message twice. Deliveries to
          // the members are retried on their own (deliverMessage is idempotent); the client decides on the rest.
          options: { retryPolicy: { enabled: false } },
          handler: (ctx) => {
            const { id, ...content } = ctx.params;
            return inbox.send(callerIdOf(ctx), id, content, deliverThrough(ctx));
          },
        }),
        ...BY_CALLER,
      },
      markConversationRead: {
        ...defineAction({
          params: conversationIdParams,
          handler: (ctx) => inbox.markConversationRead(callerIdOf(ctx), ctx.params.id),
        }),
        ...BY_CALLER,
      },
      /** Sent to each member's owner with a stored message. */
      deliverMessage: {
        ...defineAction({
          visibility: "public",
          params: deliverMessageParams,
          handler: (ctx) => inbox.deliverMessage(ctx.params.userId, ctx.params.message),
        }),
        ...BY_USER_PARAM,
      },
      /** Backs the Messenger port: a post shared with each recipient as a message. */
      sharePost: defineAction({
        visibility: "public",
        params: sharePostParams,
        options: { retryPolicy: { enabled: false } },
        handler: (ctx) =>
          inbox.sharePost(
            ctx.params.senderId,
            ctx.params.recipientIds,
            ctx.params.postId,
            deliverThrough(ctx),
          ),
      }),
      /** The gateway's `Last-Event-ID` resumption. */
      replay: {
        ...defineAction({
          visibility: "public",
          params: replayParams,
          handler: (ctx) => inbox.replay(ctx.params.userId, ctx.params.afterId, ctx.params.limit),
        }),
        ...BY_USER_PARAM,
      },
    },
    events: {
      // The ring of owners changed: what this node remembers of users it may no longer own, or owned before
      // someone else wrote to them, is stale.
      "$node.connected": ringMayHaveChanged,
      "$node.disconnected": ringMayHaveChanged,
      "$services.changed": ringMayHaveChanged,
    },
    started(this: { broker: ServiceBroker }) {
      ring = new OwnerRing(this.broker, "inbox.notifications");
      ring.changed();
      // Joining (or rejoining after a crash): callers that have not seen this node yet still route its users to
      // others, so nothing it would remember now is sure to stay complete.
      if (this.broker.transit !== undefined) inbox.forgetAll();
    },
  };
}
