import { defineTable } from "../store/schema";

/** How long the stream's events stay replayable: a client away longer reloads its lists instead. */
export const STREAM_EVENT_TTL_SECONDS = 7 * 24 * 3600;

/**
 * How long a notification is kept, as Instagram shows only recent activity: it bounds the recipient's partition.
 * Its "once per action" claim lives as long, so an action repeated after that notifies again.
 */
export const NOTIFICATION_TTL_SECONDS = 90 * 24 * 3600;

/** A user's notifications, newest first, in the recipient's partition. */
export const notifications = defineTable({
  name: "notifications",
  columns: {
    user_id: "id",
    notification_id: "id",
    kind: "text",
    actor_id: "id",
    post_id: "id",
    comment_id: "id",
    created_at: "timestamp",
  },
  partitionKey: ["user_id"],
  clustering: [{ column: "notification_id", order: "desc" }],
  ttlSeconds: NOTIFICATION_TTL_SECONDS,
});

/**
 * "Once per action": one claim per recipient and action key (`like:<post>:<actor>`), taken with insert-if-absent.
 * The key is part of the partition so a celebrity's millions of likes do not pile up in one partition.
 */
export const notificationKeys = defineTable({
  name: "notification_keys",
  columns: { user_id: "id", action_key: "text", notification_id: "id" },
  partitionKey: ["user_id", "action_key"],
  ttlSeconds: NOTIFICATION_TTL_SECONDS,
});

/** Everything up to and including `read_up_to` is read. */
export const notificationReads = defineTable({
  name: "notification_reads",
  columns: { user_id: "id", read_up_to: "id" },
  partitionKey: ["user_id"],
});

/** A conversation and its members (sorted ids, JSON); members never change once it exists. */
export const conversations = defineTable({
  name: "conversations",
  columns: { conversation_id: "id", member_ids: "text", created_at: "timestamp" },
  partitionKey: ["conversation_id"],
});

/**
 * The conversation of a member set: the sha256 of the sorted ids, claimed with insert-if-absent, so concurrent
 * opens of the same people end in one conversation.
 */
export const conversationKeys = defineTable({
  name: "conversation_keys",
  columns: { member_key: "text", conversation_id: "id", member_ids: "text" },
  partitionKey: ["member_key"],
});

/** Membership, and each member's read marker (messages up to and including `read_up_to` are read). */
export const conversationMembers = defineTable({
  name: "conversation_members",
  columns: { conversation_id: "id", user_id: "id", read_up_to: "id", joined_at: "timestamp" },
  partitionKey: ["conversation_id"],
  clustering: [{ column: "user_id", order: "asc" }],
});

/**
 * A user's conversations, most recent message first. A new conversation sorts by its own id until its first
 * message. A row moves (put the new key, then delete the old) when a message arrives.
 */
export const conversationsByUser = defineTable({
  name: "conversations_by_user",
  columns: { user_id: "id", last_message_id: "id", conversation_id: "id" },
  partitionKey: ["user_id"],
  clustering: [
    { column: "last_message_id", order: "desc" },
    { column: "conversation_id", order: "desc" },
  ],
});

/** Where a user's conversation sits in `conversations_by_user` now; a listed row with another key is stale. */
export const conversationPositions = defineTable({
  name: "conversation_positions",
  columns: { user_id: "id", conversation_id: "id", last_message_id: "id" },
  partitionKey: ["user_id"],
  clustering: [{ column: "conversation_id", order: "asc" }],
});

export const messages = defineTable({
  name: "messages",
  columns: {
    conversation_id: "id",
    message_id: "id",
    sender_id: "id",
    body: "text",
    media_id: "id",
    post_id: "id",
    created_at: "timestamp",
  },
  partitionKey: ["conversation_id"],
  clustering: [{ column: "message_id", order: "desc" }],
});

/** What a user's event stream carried (JSON), for clients reconnecting with `Last-Event-ID`. */
export const streamEvents = defineTable({
  name: "stream_events",
  columns: { user_id: "id", event_id: "id", event: "text", data: "text" },
  partitionKey: ["user_id"],
  clustering: [{ column: "event_id", order: "desc" }],
  ttlSeconds: STREAM_EVENT_TTL_SECONDS,
});

export const inboxTables = [
  notifications,
  notificationKeys,
  notificationReads,
  conversations,
  conversationKeys,
  conversationMembers,
  conversationsByUser,
  conversationPositions,
  messages,
  streamEvents,
] as const;
