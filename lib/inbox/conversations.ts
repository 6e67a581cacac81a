import { createHash } from "node:crypto";
import { NotFoundError } from "../errors";
import { compareIds, idTimestamp } from "../ids";
import type { WideRowStore } from "../store/store";
import type { Page, PageRequest } from "./deps";
import {
  conversationKeys,
  conversationMembers,
  conversationPositions,
  conversations,
  conversationsByUser,
  userConversations,
} from "./tables";

export interface ConversationEntry {
  conversationId: string;
  memberIds: string[];
}

/**
 * Conversations, their members and read markers, and each user's list of them, most recent message first.
 *
 * A member set has one conversation: its canonical key (the sorted ids, hashed) is claimed with
 * insert-if-absent, and whoever opens it, first or not, then writes the rest idempotently, so a crash half-way
 * is repaired by the next open. Rows of a user's list move when messages arrive; the point row in
 * `conversation_positions` says which one is current, and readers skip (and delete) any other.
 */
export class Conversations {
  constructor(
    private readonly store: WideRowStore,
    private readonly ids: { next(): Promise<string> },
  ) {}

  /** The conversation of exactly these members, created when there is none. */
  async openFor(memberIds: readonly string[]): Promise<{ conversationId: string; created: boolean }> {
    const sorted = [...new Set(memberIds)].sort(compareIds);
    const fresh = await this.ids.next();
    const claim = await this.store.insertIfAbsent(conversationKeys, {
      member_key: memberKeyOf(sorted),
      conversation_id: fresh,
      member_ids: JSON.stringify(sorted),
    });
    const conversationId = claim.applied ? fresh : claim.existing.conversation_id;
    if (conversationId === undefined) throw new Error(`conversation key ${memberKeyOf(sorted)} names none`);
    await this.ensure(conversationId, sorted);
    return { conversationId, created: claim.applied };
  }

  /** The members of a conversation `userId` belongs to; 404 for anyone else, as for no conversation at all. */
  async membersFor(conversationId: string, userId: string): Promise<string[]> {
    const [member, row] = await Promise.all([
      this.store.get(conversationMembers, { conversation_id: conversationId, user_id: userId }),
      this.store.get(conversations, { conversation_id: conversationId }),
    ]);
    if (member === undefined || row?.member_ids === undefined) throw conversationNotFound();
    return JSON.parse(row.member_ids) as string[];
  }

  /** Messages up to and including this id are read by the member. */
  async readMarker(conversationId: string, userId: string): Promise<string | undefined> {
    const row = await this.store.get(conversationMembers, {
      conversation_id: conversationId,
      user_id: userId,
    });
    return row?.read_up_to;
  }

  /** Moves the member's read marker forward to `messageId`; run in the member's mailbox. */
  async advanceMarker(conversationId: string, userId: string, messageId: string): Promise<void> {
    const marker = await this.readMarker(conversationId, userId);
    if (marker !== undefined && compareIds(messageId, marker) <= 0) return;
    await this.store.put(conversationMembers, {
      conversation_id: conversationId,
      user_id: userId,
      read_up_to: messageId,
    });
  }

  /** Puts the conversation first in the user's list for a message; run in the user's mailbox. */
  async moveTo(userId: string, conversationId: string, messageId: string): Promise<void> {
    const key = { user_id: userId, conversation_id: conversationId };
    const position = await this.store.get(conversationPositions, key);
    const old = position?.last_message_id;
    // Deliveries may arrive out of order: a list row only moves toward newer messages.
    if (old !== undefined && compareIds(messageId, old) <= 0) return;
    // The new row first: a crash before the position moves leaves the old row current, so the conversation
    // stays listed rather than vanishing.
    await this.listAt(userId, conversationId, messageId);
    const next = { ...key, last_message_id: messageId };
    // Compare-and-set: ordered with the position's claim, and a move that lost a race leaves the winner's row.
    const moved =
      old === undefined
        ? (await this.store.insertIfAbsent(conversationPositions, next)).applied
        : await this.store.updateIf(conversationPositions, next, { last_message_id: old });
    if (!moved) return this.moveTo(userId, conversationId, messageId);
    if (old !== undefined) await this.unlistAt(userId, conversationId, old);
  }

  /** The user's conversations, most recent message first. */
  async list(userId: string, page: PageRequest): Promise<Page<ConversationEntry>> {
    const slice = await userConversations.page(this.store, userId, page);
    const entries = await Promise.all(
      slice.rows.map(async (row) => {
        const key = { user_id: userId, conversation_id: row.conversation_id };
        const [position, conversation] = await Promise.all([
          this.store.get(conversationPositions, key),
          this.store.get(conversations, { conversation_id: row.conversation_id }),
        ]);
        if (position?.last_message_id !== row.last_message_id) {
          // Positions only move forward, so a row that is not current never becomes current again.
          if (position !== undefined) await this.store.delete(conversationsByUser, row);
          return undefined;
        }
        if (conversation?.member_ids === undefined) return undefined;
        return {
          conversationId: row.conversation_id,
          memberIds: JSON.parse(conversation.member_ids) as string[],
        };
      }),
    );
    return {
      items: entries.filter((e): e is ConversationEntry => e !== undefined),
      nextCursor: slice.nextCursor,
    };
  }

  /** Writes what a conversation needs besides its key; idempotent, and it never moves a list row back. */
  private async ensure(conversationId: string, memberIds: readonly string[]): Promise<void> {
    const createdAt = idTimestamp(conversationId);
    await this.store.put(conversations, {
      conversation_id: conversationId,
      member_ids: JSON.stringify(memberIds),
      created_at: createdAt,
    });
    await Promise.all(
      memberIds.map((userId) =>
        this.store.put(conversationMembers, {
          conversation_id: conversationId,
          user_id: userId,
          joined_at: createdAt,
        }),
      ),
    );
    await Promise.all(memberIds.map((userId) => this.place(userId, conversationId)));
  }

  /** Lists the conversation for the user (by its own id until a message arrives), unless it is listed already. */
  private async place(userId: string, conversationId: string): Promise<void> {
    const key = { user_id: userId, conversation_id: conversationId };
    const claim = await this.store.insertIfAbsent(conversationPositions, {
      ...key,
      last_message_id: conversationId,
    });
    const current = claim.applied ? conversationId : claim.existing.last_message_id;
    // Rewriting the current row repairs an open cut short between the position and its row; if a message
    // moved it meanwhile, readers drop the row this leaves behind.
    if (current !== undefined) await this.listAt(userId, conversationId, current);
  }

  /** Writes the user's list row of the conversation at its last message (or its own id), in that one's month. */
  private async listAt(userId: string, conversationId: string, lastMessageId: string): Promise<void> {
    await this.store.put(conversationsByUser, {
      ...(await userConversations.writePartition(this.store, userId, lastMessageId)),
      last_message_id: lastMessageId,
      conversation_id: conversationId,
    });
  }

  private async unlistAt(userId: string, conversationId: string, lastMessageId: string): Promise<void> {
    await this.store.delete(conversationsByUser, {
      ...userConversations.partitionOf(userId, lastMessageId),
      last_message_id: lastMessageId,
      conversation_id: conversationId,
    });
  }
}

/** The same people, in any order, give the same key. */
export function memberKeyOf(sortedIds: readonly string[]): string {
  return createHash("sha256").update(sortedIds.join(",")).digest("hex");
}

export function conversationNotFound(): NotFoundError {
  return new NotFoundError("CONVERSATION_NOT_FOUND", "no such conversation");
}
