import type { Row } from "../store/schema";
import type { WideRowStore } from "../store/store";
import { ERASED_ACCOUNT_ID } from "../accounts/user-view";
import type { MessageRecord } from "./params";
import { conversationMessages, messages } from "./tables";

/** Unread messages are counted up to this many per conversation; clients show "99+" past 99. */
export const CONVERSATION_UNREAD_CAP = 100;

/** The messages of each conversation, newest first, in the conversation's partitions (one per month). */
export class Messages {
  constructor(private readonly store: WideRowStore) {}

  async write(record: MessageRecord): Promise<void> {
    await this.store.put(messages, {
      ...(await conversationMessages.writePartition(this.store, record.conversationId, record.id)),
      message_id: record.id,
      sender_id: record.senderId,
      ...(record.text !== undefined && { body: record.text }),
      ...(record.mediaId !== undefined && { media_id: record.mediaId }),
      ...(record.postId !== undefined && { post_id: record.postId }),
      created_at: new Date(record.createdAt),
    });
  }

  /** One message of the conversation, or undefined. */
  async find(conversationId: string, messageId: string): Promise<MessageRecord | undefined> {
    const row = await this.store.get(messages, {
      ...conversationMessages.partitionOf(conversationId, messageId),
      message_id: messageId,
    });
    return row && fromRow(row)[0];
  }

  /** Keeps the message in its place as removed, its text blanked: readers show it without content. */
  async remove(conversationId: string, messageId: string, at: Date): Promise<void> {
    await this.store.put(messages, {
      ...conversationMessages.partitionOf(conversationId, messageId),
      message_id: messageId,
      body: "",
      removed_at: at,
    });
  }

  /** Up to `limit` messages older than `before` (or the newest), newest first. */
  async page(
    conversationId: string,
    options: { before?: string | undefined; limit: number },
  ): Promise<{ records: MessageRecord[]; more: boolean }> {
    const slice = await conversationMessages.walk(this.store, conversationId, {
      ...(options.before !== undefined && { after: [options.before] as const }),
      limit: options.limit,
    });
    return { records: slice.rows.flatMap(fromRow), more: slice.more };
  }

  async newest(conversationId: string): Promise<MessageRecord | undefined> {
    const [row] = await conversationMessages.first(this.store, conversationId, { limit: 1 });
    return row && fromRow(row)[0];
  }

  /** Messages of others after the reader's marker, counted up to CONVERSATION_UNREAD_CAP. */
  async unreadCount(conversationId: string, readerId: string, marker: string | undefined): Promise<number> {
    const rows = await conversationMessages.first(this.store, conversationId, {
      ...(marker !== undefined && { until: [marker] as const }),
      limit: CONVERSATION_UNREAD_CAP,
    });
    return rows.filter((row) => row.sender_id !== readerId).length;
  }
}

function fromRow(row: Row<typeof messages>): MessageRecord[] {
  if (row.sender_id === undefined) return [];
  const head = {
    id: row.message_id,
    conversationId: row.conversation_id,
    senderId: row.sender_id,
    createdAt: (row.created_at ?? new Date(0)).toISOString(),
  };
  if (row.removed_at !== undefined) return [{ ...head, removed: true }];
  // An erased sender's media and shared post are gone, their columns set to the erased account's id (a column
  // cannot be emptied by an upsert: lib/inbox/erasure.ts); a message left with nothing else shows as removed.
  const mediaId = row.media_id === ERASED_ACCOUNT_ID ? undefined : row.media_id;
  const postId = row.post_id === ERASED_ACCOUNT_ID ? undefined : row.post_id;
  if (row.body === undefined && mediaId === undefined && postId === undefined)
    return [{ ...head, removed: true }];
  return [
    {
      ...head,
      ...(row.body !== undefined && { text: row.body }),
      ...(mediaId !== undefined && { mediaId }),
      ...(postId !== undefined && { postId }),
    },
  ];
}
