import type { MediaView, MessageView, NotificationView, UserView } from "../contracts/objects";
import { ERASED_ACCOUNT_ID, erasedAccountView } from "../accounts/user-view";
import type { InboxDeps } from "./deps";
import type { MessageRecord } from "./params";
import type { NotificationType, ReportOutcomeView } from "../contracts/objects";
import type { ReportTarget } from "../moderation/params";
import { targetKey } from "../moderation/targets";

export type { ConversationView, MessageView, NotificationView } from "../contracts/objects";

export interface NotificationRecord {
  id: string;
  type: NotificationType;
  actorId: string;
  postId?: string;
  commentId?: string;
  report?: ReportOutcomeView;
  createdAt: Date;
}

/**
 * Builds the objects one viewer sees, remembering each user and media it looked up, so a page that names the
 * same people many times reads each once. Made per request: views carry relationships, which change.
 */
export class Views {
  private readonly users = new Map<string, Promise<UserView | undefined>>();
  private readonly media = new Map<string, Promise<MediaView | undefined>>();
  private readonly removals = new Map<string, Promise<boolean>>();

  constructor(
    private readonly deps: Pick<InboxDeps, "accounts" | "media" | "removals">,
    readonly viewerId: string,
  ) {}

  /** Undefined when there is no such user, or a block stands between them and the viewer. */
  user(userId: string): Promise<UserView | undefined> {
    if (userId === ERASED_ACCOUNT_ID) return Promise.resolve(erasedAccountView());
    let view = this.users.get(userId);
    if (view === undefined) {
      view = this.deps.accounts.view(this.viewerId, userId);
      this.users.set(userId, view);
    }
    return view;
  }

  /** Undefined when the actor is hidden from the viewer, or a moderator removed what it is about. */
  async notification(record: NotificationRecord, read: boolean): Promise<NotificationView | undefined> {
    const [actor, postRemoved, commentRemoved] = await Promise.all([
      this.user(record.actorId),
      record.postId === undefined ? false : this.removed({ type: "post", id: record.postId }),
      record.commentId === undefined ? false : this.removed({ type: "comment", id: record.commentId }),
    ]);
    if (actor === undefined || postRemoved || commentRemoved) return undefined;
    return {
      id: record.id,
      type: record.type,
      actor,
      ...(record.postId !== undefined && { postId: record.postId }),
      ...(record.commentId !== undefined && { commentId: record.commentId }),
      ...(record.report !== undefined && { report: record.report }),
      createdAt: record.createdAt.toISOString(),
      read,
    };
  }

  /**
   * Undefined when the sender is hidden from the viewer. A message a moderator removed, or one sharing a post a
   * moderator removed, keeps its place and says so, without its content.
   */
  async message(record: MessageRecord): Promise<MessageView | undefined> {
    const removed =
      record.removed === true ||
      (record.postId !== undefined && (await this.removed({ type: "post", id: record.postId })));
    const [sender, media] = await Promise.all([
      this.user(record.senderId),
      record.mediaId === undefined || removed ? undefined : this.mediaView(record.mediaId),
    ]);
    if (sender === undefined) return undefined;
    if (removed) {
      return {
        id: record.id,
        conversationId: record.conversationId,
        sender,
        removed: true,
        createdAt: record.createdAt,
      };
    }
    return {
      id: record.id,
      conversationId: record.conversationId,
      sender,
      ...(record.text !== undefined && { text: record.text }),
      ...(media !== undefined && { media }),
      ...(record.postId !== undefined && { postId: record.postId }),
      createdAt: record.createdAt,
    };
  }

  private removed(target: ReportTarget): Promise<boolean> {
    const removals = this.deps.removals;
    if (removals === undefined) return Promise.resolve(false);
    const key = targetKey(target);
    let known = this.removals.get(key);
    if (known === undefined) {
      known = removals.removed([target]).then((found) => found.size > 0);
      this.removals.set(key, known);
    }
    return known;
  }

  /** Kept for this request only: a message's media may still be processing, so each answer reads it anew. */
  private mediaView(mediaId: string): Promise<MediaView | undefined> {
    let view = this.media.get(mediaId);
    if (view === undefined) {
      view = this.deps.media
        .find(mediaId)
        .then((row) => (row === undefined ? undefined : this.deps.media.view(row)));
      this.media.set(mediaId, view);
    }
    return view;
  }
}

/** Keeps the defined ones, in order. */
export function present<T>(items: readonly (T | undefined)[]): T[] {
  return items.filter((item): item is T => item !== undefined);
}
