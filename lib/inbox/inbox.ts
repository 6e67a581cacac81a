import { InboxErasure } from "./erasure";
import { backfillNotificationIndex } from "./index-backfill";
import type { StreamEvent } from "../stream/events";
import { Conversations } from "./conversations";
import type { InboxDeps, Page, PageRequest } from "./deps";
import { DirectMessages, type DeliverMessage } from "./direct-messages";
import { ActorMemory, type ActorStats } from "../concurrency/actor-memory";
import { Messages } from "./messages";
import { Notifications, type NotificationState } from "./notifications";
import { REPLAY_MAX_EVENTS, type MessageContent, type MessageRecord } from "./params";
import type { NotificationInput } from "../contracts/ports";
import { StreamLog } from "./stream-log";
import type { ConversationView, MessageView, NotificationView } from "./views";

export type { InboxDeps } from "./deps";

export interface InboxOptions {
  /** Users whose inbox memory one node keeps at most. */
  maxUsers: number;
}

/**
 * Each user's inbox (notifications, direct messages, the stream log) as an actor on the node that owns the
 * user: the service routes every per-user call to that node, which keeps the unread count and the newest
 * notifications in memory and runs each user's writes through one mailbox. Memory is a cache of the rows;
 * `forgetAll` drops it when ownership moves.
 */
export class Inbox {
  private readonly inboxes: ActorMemory<NotificationState>;
  private readonly notifications: Notifications;
  private readonly direct: DirectMessages;
  private readonly streamLog: StreamLog;
  /** What an account's erasure removes here (lib/erasure). */
  readonly erasure: InboxErasure;

  constructor(
    private readonly deps: InboxDeps,
    options: InboxOptions = { maxUsers: 20_000 },
  ) {
    this.inboxes = new ActorMemory(options.maxUsers, deps.now);
    this.streamLog = new StreamLog(deps.store);
    this.erasure = new InboxErasure(deps.store);
    this.notifications = new Notifications(deps, this.inboxes, this.streamLog);
    const conversations = new Conversations(deps.store, deps.ids);
    this.direct = new DirectMessages(
      deps,
      this.inboxes,
      conversations,
      new Messages(deps.store),
      this.streamLog,
    );
  }

  /** An operator's repair: lists under their actor the notifications made before that list (a full scan). */
  backfillIndexes(): Promise<number> {
    return backfillNotificationIndex(this.deps.store);
  }

  /** Drops what this node keeps of the user's inbox (their notifications changed behind it); on their owner. */
  forgetUser(userId: string): Promise<void> {
    return this.inboxes.forget(userId);
  }

  /** Records and pushes a notification (once per action, never for one's own act); run on the recipient's owner. */
  notify(input: NotificationInput): Promise<void> {
    return this.notifications.notify(input);
  }

  listNotifications(userId: string, page: PageRequest): Promise<Page<NotificationView>> {
    return this.notifications.list(userId, page);
  }

  async unreadCount(userId: string): Promise<{ count: number }> {
    return { count: await this.notifications.unreadCount(userId) };
  }

  /** Marks read up to `upToId` inclusive, or everything. */
  markRead(userId: string, upToId?: string): Promise<void> {
    return this.notifications.markRead(userId, upToId);
  }

  /** `created` is false when the same members already had a conversation (it is answered instead). */
  openConversation(
    callerId: string,
    usernames: readonly string[],
  ): Promise<{ conversation: ConversationView; created: boolean }> {
    return this.direct.open(callerId, usernames);
  }

  listConversations(userId: string, page: PageRequest): Promise<Page<ConversationView>> {
    return this.direct.list(userId, page);
  }

  listMessages(userId: string, conversationId: string, page: PageRequest): Promise<Page<MessageView>> {
    return this.direct.page(userId, conversationId, page);
  }

  /** Stores the message, then hands it to every member's owner through `deliver`; answers once all resolved. */
  send(
    senderId: string,
    conversationId: string,
    content: MessageContent,
    deliver: DeliverMessage = this.deliverHere,
  ): Promise<MessageView> {
    return this.direct.send(senderId, conversationId, content, deliver);
  }

  /** A message as a member reports it (moderation). */
  reportedMessage(callerId: string, conversationId: string, messageId: string) {
    return this.direct.reported(callerId, conversationId, messageId);
  }

  /** A moderator removed the message. */
  removeMessage(conversationId: string, messageId: string): Promise<void> {
    return this.direct.remove(conversationId, messageId);
  }

  /** One member's share of a message; run on that member's owner. */
  deliverMessage(userId: string, message: MessageRecord): Promise<void> {
    return this.direct.deliver(userId, message);
  }

  markConversationRead(userId: string, conversationId: string): Promise<void> {
    return this.direct.markRead(userId, conversationId);
  }

  sharePost(
    senderId: string,
    recipientIds: readonly string[],
    postId: string,
    deliver: DeliverMessage = this.deliverHere,
  ): Promise<{ conversationIds: string[] }> {
    return this.direct.sharePost(senderId, recipientIds, postId, deliver);
  }

  /** The user's stream events after `afterId`, oldest first; run on the user's owner. */
  async replay(
    userId: string,
    afterId: string,
    limit = REPLAY_MAX_EVENTS,
  ): Promise<{ events: StreamEvent[] }> {
    return { events: await this.streamLog.after(userId, afterId, Math.min(limit, REPLAY_MAX_EVENTS)) };
  }

  /** Ownership moved: what this node remembers may be stale. */
  forgetAll(): void {
    this.inboxes.forgetAll();
  }

  /** Users whose inbox this node holds in memory. */
  get size(): number {
    return this.inboxes.size;
  }

  /** The actors' counts, for the metrics. */
  get stats(): ActorStats {
    return this.inboxes;
  }

  private readonly deliverHere: DeliverMessage = (userId, message) => this.deliverMessage(userId, message);
}
