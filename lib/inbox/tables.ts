import { defineTable } from "../store/schema";
import { BucketedList, listBuckets } from "../validation/bucketed-list";
import { MONTHLY, TimeBuckets } from "../validation/time-buckets";

/** How long the stream's events stay replayable: a client away longer reloads its lists instead. */
export const STREAM_EVENT_TTL_SECONDS = 7 * 24 * 3600;

/**
 * How long a notification is kept, as Instagram shows only recent activity: with monthly buckets, a recipient has
 * at most four live partitions. Its "once per action" claim lives as long, so an action repeated after that
 * notifies again.
 */
export const NOTIFICATION_TTL_SECONDS = 90 * 24 * 3600;

/** A user's notifications, newest first, one month of them per partition of the recipient. */
export const notifications = defineTable({
  name: "notifications_b",
  columns: {
    user_id: "id",
    bucket: "int",
    notification_id: "id",
    kind: "text",
    actor_id: "id",
    post_id: "id",
    comment_id: "id",
    /** report_resolved: the case, its target's type and how it ended. */
    report_id: "id",
    report_target: "text",
    report_outcome: "text",
    created_at: "timestamp",
  },
  partitionKey: ["user_id", "bucket"],
  clustering: [{ column: "notification_id", order: "desc" }],
  ttlSeconds: NOTIFICATION_TTL_SECONDS,
});

export const userNotifications = new BucketedList({
  name: "user_notifications",
  table: notifications,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (userId, bucket) => ({ user_id: userId, bucket }),
  position: (row) => [row.notification_id],
  at: ([notificationId]) => ({ notification_id: notificationId }),
  rowTtlSeconds: NOTIFICATION_TTL_SECONDS,
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
  conditional: true,
});

/**
 * The notifications each account caused in others' inboxes: what its erasure walks to remove them (they live in
 * the recipients' partitions). Written beside each notification, with its life.
 */
export const notificationsByActor = defineTable({
  name: "notifications_by_actor",
  columns: { actor_id: "id", notification_id: "id", recipient_id: "id", action_key: "text" },
  partitionKey: ["actor_id"],
  clustering: [{ column: "notification_id", order: "asc" }],
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
  conditional: true,
});

/** Membership, and each member's read marker (messages up to and including `read_up_to` are read). */
export const conversationMembers = defineTable({
  name: "conversation_members",
  columns: { conversation_id: "id", user_id: "id", read_up_to: "id", joined_at: "timestamp" },
  partitionKey: ["conversation_id"],
  clustering: [{ column: "user_id", order: "asc" }],
});

/**
 * A user's conversations, most recent message first, bucketed by the month of that message. A new conversation
 * sorts by its own id until its first message. A row moves (put the new key, then delete the old) when a message
 * arrives, so a partition holds the conversations whose last message is of its month.
 */
export const conversationsByUser = defineTable({
  name: "conversations_by_user_b",
  columns: { user_id: "id", bucket: "int", last_message_id: "id", conversation_id: "id" },
  partitionKey: ["user_id", "bucket"],
  clustering: [
    { column: "last_message_id", order: "desc" },
    { column: "conversation_id", order: "desc" },
  ],
});

export const userConversations = new BucketedList({
  name: "user_conversations",
  table: conversationsByUser,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 2,
  partition: (userId, bucket) => ({ user_id: userId, bucket }),
  position: (row) => [row.last_message_id, row.conversation_id],
  at: ([lastMessageId, conversationId]) => ({
    last_message_id: lastMessageId,
    conversation_id: conversationId,
  }),
});

/**
 * Where a user's conversation sits in `conversations_by_user_b` now; a listed row with another key is stale. One
 * row per (user, conversation) pair, its own partition, so a user in thousands of conversations has no big one.
 */
export const conversationPositions = defineTable({
  name: "conversation_positions_by_pair",
  columns: { user_id: "id", conversation_id: "id", last_message_id: "id" },
  partitionKey: ["user_id", "conversation_id"],
  conditional: true,
});

/** A conversation's messages, newest first, one month of them per partition. */
export const messages = defineTable({
  name: "messages_b",
  columns: {
    conversation_id: "id",
    bucket: "int",
    message_id: "id",
    sender_id: "id",
    body: "text",
    media_id: "id",
    post_id: "id",
    created_at: "timestamp",
    /** Set when a moderator removed it: its text is blanked and its media deleted, the row kept in its place. */
    removed_at: "timestamp",
  },
  partitionKey: ["conversation_id", "bucket"],
  clustering: [{ column: "message_id", order: "desc" }],
});

export const conversationMessages = new BucketedList({
  name: "conversation_messages",
  table: messages,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 1,
  partition: (conversationId, bucket) => ({ conversation_id: conversationId, bucket }),
  position: (row) => [row.message_id],
  at: ([messageId]) => ({ message_id: messageId }),
});

/**
 * What a user's event stream carried (JSON), for clients reconnecting with `Last-Event-ID`. Not bucketed: every
 * row expires after a week, so a partition holds one week of one user's events, and a replay reads forward from
 * an id anyway.
 */
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
  notificationsByActor,
  notificationReads,
  conversations,
  conversationKeys,
  conversationMembers,
  conversationsByUser,
  conversationPositions,
  messages,
  streamEvents,
  listBuckets,
] as const;
