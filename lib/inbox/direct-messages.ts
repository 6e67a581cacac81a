import { AppError, BadRequestError, ForbiddenError, NotFoundError } from "../errors";
import { isAttachableBy } from "../media-library/media-view";
import type { StreamEvent } from "../stream/events";
import { conversationNotFound, type Conversations } from "./conversations";
import type { InboxDeps, Page, PageRequest } from "./deps";
import type { ActorMemory } from "../concurrency/actor-memory";
import type { Messages } from "./messages";
import { MAX_OTHER_MEMBERS, type MessageContent, type MessageRecord } from "./params";
import { conversationMessages } from "./tables";
import type { StreamLog } from "./stream-log";
import { present, Views, type ConversationView, type MessageView } from "./views";

/**
 * Hands a stored message to one member's inbox owner, which lists it and pushes it to their streams. The node
 * binds it to the broker (a call sharded on the member); by default it runs here.
 */
export type DeliverMessage = (userId: string, message: MessageRecord) => Promise<void>;

/**
 * Direct messages: who may open and write to a conversation, and the delivery of each message to every member's
 * inbox owner. A message is acknowledged only once it is stored and every delivery has resolved, so an
 * acknowledged message is never missing from a member's list or stream log.
 */
export class DirectMessages {
  constructor(
    private readonly deps: InboxDeps,
    private readonly inboxes: Pick<ActorMemory<unknown>, "run">,
    private readonly conversations: Conversations,
    private readonly messages: Messages,
    private readonly streamLog: StreamLog,
  ) {}

  /** Opens (or finds) the conversation of the caller and these usernames. */
  async open(
    callerId: string,
    usernames: readonly string[],
  ): Promise<{ conversation: ConversationView; created: boolean }> {
    const names = [...new Set(usernames)];
    const found = await this.deps.accounts.idsOf(names);
    // Someone blocked either way does not exist for the caller, as their profile answers 404: saying
    // "blocked" here would tell the blocked user what nothing else does.
    const hidden = await Promise.all(
      [...found].map(async ([name, id]) =>
        id !== callerId && (await this.deps.graph.isBlockedEitherWay(callerId, id)) ? name : undefined,
      ),
    );
    for (const name of hidden) if (name !== undefined) found.delete(name);
    const unknown = names.filter((name) => !found.has(name));
    if (unknown.length > 0) {
      throw new BadRequestError("UNKNOWN_USERS", `no such user: ${unknown.join(", ")}`, {
        field: "usernames",
        usernames: unknown,
      });
    }
    const others = [...new Set(found.values())];
    if (others.includes(callerId)) {
      throw new BadRequestError("USERNAMES_INCLUDE_CALLER", "name the other members only, not yourself", {
        field: "usernames",
      });
    }
    const opened = await this.openWith(callerId, others);
    return { conversation: await this.view(callerId, opened.conversationId), created: opened.created };
  }

  async list(userId: string, page: PageRequest): Promise<Page<ConversationView>> {
    const entries = await this.conversations.list(userId, page);
    const views = new Views(this.deps, userId);
    const items = await Promise.all(
      entries.items.map((e) => this.viewOf(views, e.conversationId, e.memberIds)),
    );
    return { items, nextCursor: entries.nextCursor };
  }

  /** A page of a conversation's messages, newest first; members only. */
  async page(userId: string, conversationId: string, page: PageRequest): Promise<Page<MessageView>> {
    const before =
      page.cursor === undefined ? undefined : conversationMessages.openCursor(conversationId, page.cursor)[0];
    await this.conversations.membersFor(conversationId, userId);
    const { records, more } = await this.messages.page(conversationId, { before, limit: page.limit });
    const views = new Views(this.deps, userId);
    const items = await Promise.all(records.map((r) => views.message(r)));
    const last = records[records.length - 1];
    return {
      items: present(items),
      nextCursor: more && last ? conversationMessages.cursorAt(conversationId, [last.id]) : null,
    };
  }

  async send(
    senderId: string,
    conversationId: string,
    content: MessageContent,
    deliver: DeliverMessage,
  ): Promise<MessageView> {
    const memberIds = await this.conversations.membersFor(conversationId, senderId);
    await this.refuseBlocked(
      senderId,
      memberIds.filter((id) => id !== senderId),
    );
    if (content.mediaId !== undefined) {
      await this.checkMedia(senderId, content.mediaId);
      await this.deps.media.attach?.(senderId, [content.mediaId], "conversation", true);
    }
    if (content.postId !== undefined) await this.checkPost(senderId, content.postId);
    const sent = await this.post(senderId, conversationId, memberIds, content, deliver);
    const affinity = this.deps.affinity;
    if (affinity) {
      // Counted for the ranked feed; a failure here never fails the message, which is delivered.
      await Promise.all(
        memberIds
          .filter((id) => id !== senderId)
          .map((id) => affinity.bump(senderId, id, "messages").catch(() => undefined)),
      );
    }
    return sent;
  }

  /** A message as a member reports it: its sender and content; 404 for anyone else, or no such message. */
  async reported(
    callerId: string,
    conversationId: string,
    messageId: string,
  ): Promise<{ authorId: string; text?: string; mediaIds: string[] }> {
    await this.conversations.membersFor(conversationId, callerId);
    const found = await this.messages.find(conversationId, messageId);
    if (found === undefined || found.removed === true) {
      throw new NotFoundError("MESSAGE_NOT_FOUND", "no such message in this conversation");
    }
    return {
      authorId: found.senderId,
      ...(found.text !== undefined && { text: found.text }),
      mediaIds: found.mediaId === undefined ? [] : [found.mediaId],
    };
  }

  /** A moderator's removal: the message stays in its place as removed, and its media stop being served. */
  async remove(conversationId: string, messageId: string): Promise<void> {
    const found = await this.messages.find(conversationId, messageId);
    if (found === undefined) return;
    if (found.mediaId !== undefined) await this.deps.media.markDeleted?.(found.senderId, [found.mediaId]);
    await this.messages.remove(conversationId, messageId, new Date(this.deps.now()));
  }

  /** Sends the post to each recipient in their two-member conversation with the sender. */
  async sharePost(
    senderId: string,
    recipientIds: readonly string[],
    postId: string,
    deliver: DeliverMessage,
  ): Promise<{ conversationIds: string[] }> {
    await this.deps.posts.visibleAuthor(senderId, postId);
    const recipients = [...new Set(recipientIds)].filter((id) => id !== senderId);
    await this.refuseBlocked(senderId, recipients);
    const views = new Views(this.deps, senderId);
    const missing = (await Promise.all(recipients.map((id) => views.user(id)))).indexOf(undefined);
    if (missing >= 0) throw new NotFoundError("USER_NOT_FOUND", "no such user");
    const conversationIds = await Promise.all(
      recipients.map(async (recipientId) => {
        const { conversationId } = await this.conversations.openFor([senderId, recipientId]);
        await this.post(senderId, conversationId, [senderId, recipientId], { postId }, deliver);
        return conversationId;
      }),
    );
    return { conversationIds };
  }

  /**
   * Runs on the member's inbox owner: logs and pushes the message to the member's streams, and moves the
   * conversation to the top of their list. The sender is a member too (their other devices want it), and
   * has read everything up to their own message.
   */
  async deliver(userId: string, message: MessageRecord): Promise<void> {
    const view = await new Views(this.deps, userId).message(message);
    await this.inboxes.run(userId, async () => {
      // The event id is minted here, in the member's mailbox, like a notification's: a user's events then
      // leave in the order of their ids, so a reconnect from any of them misses nothing and repeats nothing.
      // Clients match the event to the message by `data.id`.
      const event: StreamEvent | undefined = view && {
        id: await this.deps.ids.next(),
        event: "message",
        data: view,
      };
      if (event) await this.streamLog.append(userId, event);
      await this.conversations.moveTo(userId, message.conversationId, message.id);
      if (userId === message.senderId) {
        await this.conversations.advanceMarker(message.conversationId, userId, message.id);
      }
      if (event) this.deps.publish([userId], event);
    });
    // Outside the mailbox, never failing the delivery: a push only announces what is stored.
    if (view && userId !== message.senderId) void this.deps.push?.message(userId, view);
  }

  async markRead(userId: string, conversationId: string): Promise<void> {
    await this.conversations.membersFor(conversationId, userId);
    const newest = await this.messages.newest(conversationId);
    if (newest === undefined) return;
    await this.inboxes.run(userId, () => this.conversations.advanceMarker(conversationId, userId, newest.id));
  }

  private async openWith(
    callerId: string,
    others: readonly string[],
  ): Promise<{ conversationId: string; created: boolean }> {
    if (others.length < 1 || others.length > MAX_OTHER_MEMBERS) {
      throw new BadRequestError(
        "MEMBER_COUNT",
        `a conversation has 2 to ${MAX_OTHER_MEMBERS + 1} members, you included`,
        { field: "usernames" },
      );
    }
    await this.refuseBlocked(callerId, others);
    return this.conversations.openFor([callerId, ...others]);
  }

  private async post(
    senderId: string,
    conversationId: string,
    memberIds: readonly string[],
    content: MessageContent,
    deliver: DeliverMessage,
  ): Promise<MessageView> {
    const record: MessageRecord = {
      id: await this.deps.ids.next(),
      conversationId,
      senderId,
      ...(content.text !== undefined && { text: content.text }),
      ...(content.mediaId !== undefined && { mediaId: content.mediaId }),
      ...(content.postId !== undefined && { postId: content.postId }),
      createdAt: new Date(this.deps.now()).toISOString(),
    };
    // The message row first: a delivery that fails leaves it in the conversation, and the send fails, so
    // the client retries rather than believing every member has it.
    await this.messages.write(record);
    await Promise.all(memberIds.map((userId) => deliver(userId, record)));
    const view = await new Views(this.deps, senderId).message(record);
    if (view === undefined) throw conversationNotFound();
    return view;
  }

  /** A block either way between the sender and any other member stops the message (403). */
  private async refuseBlocked(userId: string, others: readonly string[]): Promise<void> {
    const blocked = await Promise.all(
      others.map((other) => this.deps.graph.isBlockedEitherWay(userId, other)),
    );
    if (blocked.includes(true)) {
      throw new ForbiddenError("BLOCKED", "you cannot message someone you blocked or who blocked you");
    }
  }

  /** A photo sent a moment after its upload goes out processing, as in a post; the views show it ready later. */
  private async checkMedia(senderId: string, mediaId: string): Promise<void> {
    if (!isAttachableBy(await this.deps.media.find(mediaId), senderId)) {
      throw new BadRequestError(
        "MEDIA_NOT_USABLE",
        "mediaId must name an upload of yours that did not fail",
        { field: "mediaId" },
      );
    }
  }

  private async checkPost(senderId: string, postId: string): Promise<void> {
    try {
      await this.deps.posts.visibleAuthor(senderId, postId);
    } catch (error) {
      // The post is an argument here, not the thing addressed: a post the sender cannot see is bad input.
      if (error instanceof AppError && error.status === 404) {
        throw new BadRequestError("POST_NOT_FOUND", "postId must name a post you can see", {
          field: "postId",
        });
      }
      throw error;
    }
  }

  private async view(viewerId: string, conversationId: string): Promise<ConversationView> {
    const memberIds = await this.conversations.membersFor(conversationId, viewerId);
    return this.viewOf(new Views(this.deps, viewerId), conversationId, memberIds);
  }

  private async viewOf(
    views: Views,
    conversationId: string,
    memberIds: readonly string[],
  ): Promise<ConversationView> {
    const [members, newest, marker] = await Promise.all([
      Promise.all(memberIds.map((id) => views.user(id))),
      this.messages.newest(conversationId),
      this.conversations.readMarker(conversationId, views.viewerId),
    ]);
    const [lastMessage, unreadCount] = await Promise.all([
      newest === undefined ? undefined : views.message(newest),
      this.messages.unreadCount(conversationId, views.viewerId, marker),
    ]);
    return { id: conversationId, members: present(members), lastMessage: lastMessage ?? null, unreadCount };
  }
}
