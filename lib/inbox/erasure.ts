import { ERASED_ACCOUNT_ID } from "../accounts/user-view";
import type { WideRowStore } from "../store/store";
import { memberKeyOf } from "./conversations";
import { actionKeyOfRow } from "./notifications";
import {
  conversationKeys,
  conversationMembers,
  conversationMessages,
  conversationPositions,
  conversations,
  conversationsByUser,
  messages,
  notificationKeys,
  notificationReads,
  notifications,
  notificationsByActor,
  streamEvents,
  userConversations,
  userNotifications,
} from "./tables";

/** Rows one call reads at most, of each kind. */
const PAGE = 200;
/** Where the step is: in the conversations (with the message to go on after), then the notifications. */
const NOTIFICATIONS = "notifications";

/**
 * An account's erasure from the inbox. Its conversations stay for the other members: each message it sent is kept,
 * its sender turned into the erased account (Views shows "Deleted account") and its media dropped, and the account
 * leaves the members. Its own notifications go, and those it caused in others' inboxes (notificationsByActor),
 * with their claims; then its stream log and read marker. (Its push subscriptions are lib/push's.)
 */
export class InboxErasure {
  constructor(private readonly store: WideRowStore) {}

  /**
   * One bounded call. `touched`: the users whose notifications it removed, whose inbox owners must forget what
   * they keep of them (an unread count, the newest notifications).
   */
  async erase(
    userId: string,
    cursor?: string,
  ): Promise<{ done: boolean; cursor?: string; touched: string[] }> {
    if (cursor !== NOTIFICATIONS) {
      const next = await this.leaveConversation(userId, cursor);
      return { done: false, cursor: next ?? NOTIFICATIONS, touched: [] };
    }
    const touched = new Set<string>();
    const done = await this.eraseNotifications(userId, touched);
    return { done, touched: [...touched] };
  }

  /**
   * One page of the account's first listed conversation; answers where to go on (`<conversation>:<message>`),
   * or undefined once no conversation is left.
   */
  private async leaveConversation(userId: string, cursor?: string): Promise<string | undefined> {
    const { store } = this;
    const [listed] = await userConversations.first(store, userId, { limit: 1 });
    if (listed === undefined) {
      await userConversations.erase(store, userId);
      return undefined;
    }
    const conversationId = listed.conversation_id;
    const [at, after] = (cursor ?? "").split(":");
    const slice = await conversationMessages.walk(store, conversationId, {
      ...(at === conversationId && after !== undefined && after !== "" && { after: [after] as const }),
      limit: PAGE,
    });
    for (const row of slice.rows) {
      if (row.sender_id !== userId) continue;
      await store.put(messages, {
        ...conversationMessages.partitionOf(conversationId, row.message_id),
        message_id: row.message_id,
        sender_id: ERASED_ACCOUNT_ID,
        // A column cannot be emptied by an upsert: the erased account's id stands for "gone" (see Views.message).
        ...(row.media_id !== undefined && { media_id: ERASED_ACCOUNT_ID }),
        ...(row.post_id !== undefined && { post_id: ERASED_ACCOUNT_ID }),
      });
    }
    const last = slice.rows[slice.rows.length - 1];
    if (slice.more && last !== undefined) return `${conversationId}:${last.message_id}`;

    const conversation = await store.get(conversations, { conversation_id: conversationId });
    const memberIds =
      conversation?.member_ids === undefined ? [] : (JSON.parse(conversation.member_ids) as string[]);
    const others = memberIds.filter((id) => id !== userId);
    // The key named the members as they were: nobody can open this conversation again by naming them. Only while
    // the account is still among them: a second pass (a list row left behind) would find the others' key.
    if (memberIds.includes(userId)) {
      await store.deleteIf(
        conversationKeys,
        { member_key: memberKeyOf(memberIds) },
        { conversation_id: conversationId },
      );
    }
    if (others.length === 0) {
      await conversationMessages.erase(store, conversationId);
      await store.deletePartition(conversationMembers, { conversation_id: conversationId });
      await store.delete(conversations, { conversation_id: conversationId });
    } else {
      await store.put(conversations, { conversation_id: conversationId, member_ids: JSON.stringify(others) });
      await store.delete(conversationMembers, { conversation_id: conversationId, user_id: userId });
    }
    await store.deleteIf(conversationPositions, { user_id: userId, conversation_id: conversationId });
    await store.delete(conversationsByUser, {
      ...userConversations.partitionOf(userId, listed.last_message_id),
      last_message_id: listed.last_message_id,
      conversation_id: conversationId,
    });
    return `${conversationId}:`;
  }

  /** A page of the account's own notifications and of those it caused; true once none is left. */
  private async eraseNotifications(userId: string, touched: Set<string>): Promise<boolean> {
    const { store } = this;
    const own = await userNotifications.walk(store, userId, { limit: PAGE });
    for (const row of own.rows) {
      const key = actionKeyOfRow(row);
      if (key !== undefined) await store.deleteIf(notificationKeys, { user_id: userId, action_key: key });
      if (row.actor_id !== undefined) {
        await store.delete(notificationsByActor, {
          actor_id: row.actor_id,
          notification_id: row.notification_id,
        });
      }
      await store.delete(notifications, {
        ...userNotifications.partitionOf(userId, row.notification_id),
        notification_id: row.notification_id,
      });
    }
    const caused = await store.slice(notificationsByActor, { actor_id: userId }, { limit: PAGE });
    for (const row of caused.rows) {
      const recipientId = row.recipient_id;
      if (recipientId !== undefined && row.action_key !== undefined) {
        await store.deleteIf(notificationKeys, { user_id: recipientId, action_key: row.action_key });
      }
      if (recipientId !== undefined) {
        touched.add(recipientId);
        await store.delete(notifications, {
          ...userNotifications.partitionOf(recipientId, row.notification_id),
          notification_id: row.notification_id,
        });
      }
      await store.delete(notificationsByActor, { actor_id: userId, notification_id: row.notification_id });
    }
    if (own.rows.length + caused.rows.length > 0) return false;
    await userNotifications.erase(store, userId);
    await store.delete(notificationReads, { user_id: userId });
    await store.deletePartition(streamEvents, { user_id: userId });
    return true;
  }
}
