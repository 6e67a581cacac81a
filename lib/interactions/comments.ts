import type { CommentView } from "../contracts/objects";
import type { UserView } from "../accounts/user-view";
import { ForbiddenError, NotFoundError } from "../errors";
import { parseMentions } from "../posts/caption";
import type { Row } from "../store/schema";
import type { InteractionsDeps } from "./deps";
import type { Page, PageRequest } from "../validation/page";
import { quietly } from "./quietly";
import {
  authorComments,
  authorCommentsByTime,
  commentPosts,
  comments,
  postComments,
  postCounts,
} from "./tables";
import { setCounter } from "../store/counters";

export type { CommentView } from "../contracts/objects";

/**
 * Comments, oldest first in their post's monthly partitions, counted exactly. A comment is written lookup row
 * first (a lookup to nothing answers 404) and counted last, recorded in the write journal, so that one cut short
 * by a crash is completed (see `complete`). A deletion is uncounted only by
 * the request whose conditional delete of the comment applies; a racing one just makes sure the rows are gone.
 */
export class Comments {
  constructor(private readonly deps: InteractionsDeps) {}

  async add(
    authorId: string,
    postId: string,
    input: { text: string; replyToId?: string | undefined },
  ): Promise<CommentView> {
    const postAuthorId = await this.deps.posts.visibleAuthor(authorId, postId);
    if (input.replyToId !== undefined) await this.checkParent(authorId, postId, input.replyToId);
    const [commentId, mentioned, author] = await Promise.all([
      this.deps.ids.next(),
      this.deps.accounts.idsOf(parseMentions(input.text)),
      this.deps.accounts.view(authorId, authorId),
    ]);
    if (author === undefined) throw new NotFoundError("USER_NOT_FOUND", "no such user");
    const createdAt = new Date(this.deps.now());
    const mentionedIds = [...new Set(mentioned.values())];
    await this.deps.journal.run("comment", { postId, commentId, authorId }, async () => {
      await this.deps.store.put(commentPosts, { comment_id: commentId, post_id: postId });
      await this.deps.store.put(authorCommentsByTime, {
        ...(await authorComments.writePartition(this.deps.store, authorId, commentId)),
        comment_id: commentId,
        post_id: postId,
      });
      // Taken conditionally, as its delete is: the comment id is new, so this always applies.
      await this.deps.store.insertIfAbsent(comments, {
        ...(await postComments.writePartition(this.deps.store, postId, commentId)),
        comment_id: commentId,
        author_id: authorId,
        text: input.text,
        ...(input.replyToId !== undefined && { reply_to_id: input.replyToId }),
        mentions: JSON.stringify(mentionedIds),
        created_at: createdAt,
      });
      await this.deps.store.increment(postCounts, { post_id: postId }, { comments: 1 });
      this.deps.countsChanged?.(postId);
    });
    const { signals, activity, affinity } = this.deps;
    if (signals) {
      const event = { postId, authorId: postAuthorId, actorId: authorId, at: createdAt.getTime() };
      await quietly(() => signals.commented(event));
    }
    if (activity) await quietly(() => activity.record(postId, "comments"));
    if (affinity) await quietly(() => affinity.bump(authorId, postAuthorId, "comments"));
    await this.notify(authorId, postAuthorId, postId, commentId, mentionedIds);
    return {
      id: commentId,
      postId,
      author,
      text: input.text,
      createdAt: createdAt.toISOString(),
      replyToId: input.replyToId ?? null,
    };
  }

  /** A post's comments, oldest first; those of users hidden from the viewer (a block) are left out. */
  async list(viewerId: string, postId: string, page: PageRequest): Promise<Page<CommentView>> {
    await this.deps.posts.visibleAuthor(viewerId, postId);
    const slice = await postComments.page(this.deps.store, postId, page);
    const authors = new Map<string, Promise<UserView | undefined>>();
    const authorOf = (userId: string) => {
      let author = authors.get(userId);
      if (author === undefined) {
        author = this.deps.accounts.view(viewerId, userId);
        authors.set(userId, author);
      }
      return author;
    };
    const views = await Promise.all(
      slice.rows.map(async (row) => {
        const author = row.author_id === undefined ? undefined : await authorOf(row.author_id);
        return author && toCommentView(row, author);
      }),
    );
    return {
      items: views.filter((v): v is CommentView => v !== undefined),
      nextCursor: slice.nextCursor,
    };
  }

  /** By the comment's author or the post's; 404 when the caller may not see the post (or the comment is gone). */
  async delete(callerId: string, commentId: string): Promise<void> {
    const { postId, postAuthorId, row } = await this.visible(callerId, commentId);
    if (row.author_id !== callerId && postAuthorId !== callerId) {
      throw new ForbiddenError("NOT_ALLOWED", "only the comment's author or the post's author may delete it");
    }
    await this.deleteRows(postId, commentId, row.author_id);
  }

  /** A comment as the caller reports it: its author and text; 404 whenever the caller may not see it. */
  async reported(callerId: string, commentId: string): Promise<{ authorId: string; text?: string }> {
    const { row } = await this.visible(callerId, commentId);
    return { authorId: row.author_id ?? "", ...(row.text !== undefined && { text: row.text }) };
  }

  /** A moderator's removal: as a deletion, whoever wrote it; a comment already gone is left gone. */
  async remove(commentId: string): Promise<void> {
    const ref = await this.deps.store.get(commentPosts, { comment_id: commentId });
    if (ref?.post_id === undefined) return;
    const row = await this.deps.store.get(comments, {
      ...postComments.partitionOf(ref.post_id, commentId),
      comment_id: commentId,
    });
    await this.deleteRows(ref.post_id, commentId, row?.author_id);
  }

  private async visible(
    callerId: string,
    commentId: string,
  ): Promise<{ postId: string; postAuthorId: string; row: Row<typeof comments> }> {
    const ref = await this.deps.store.get(commentPosts, { comment_id: commentId });
    if (ref?.post_id === undefined) throw commentNotFound();
    const postId = ref.post_id;
    let postAuthorId: string;
    try {
      postAuthorId = await this.deps.posts.visibleAuthor(callerId, postId);
    } catch (error) {
      if (error instanceof NotFoundError) throw commentNotFound();
      throw error;
    }
    const row = await this.deps.store.get(comments, {
      ...postComments.partitionOf(postId, commentId),
      comment_id: commentId,
    });
    if (row === undefined) throw commentNotFound();
    return { postId, postAuthorId, row };
  }

  private async deleteRows(postId: string, commentId: string, authorId: string | undefined): Promise<void> {
    const key = { ...postComments.partitionOf(postId, commentId), comment_id: commentId };
    // Of racing deletions only the one whose conditional delete applies uncounts the comment; a comment id is
    // never reused, so the others may safely finish the other deletes.
    await this.deps.journal.run("comment", { postId, commentId, ...(authorId && { authorId }) }, async () => {
      const mine = await this.deps.store.deleteIf(comments, key);
      await this.deps.store.delete(commentPosts, { comment_id: commentId });
      if (authorId !== undefined) await this.unlistByAuthor(authorId, commentId);
      if (mine) {
        await this.deps.store.increment(postCounts, { post_id: postId }, { comments: -1 });
        this.deps.countsChanged?.(postId);
      }
    });
  }

  /**
   * Completes an add or delete of a comment cut short: a lookup row without its comment goes, and the post's
   * count is recounted from its comments.
   */
  async complete(postId: string, commentId: string, authorId?: string): Promise<void> {
    const key = { ...postComments.partitionOf(postId, commentId), comment_id: commentId };
    const row = await this.deps.store.get(comments, key);
    if (row === undefined) {
      await this.deps.store.delete(commentPosts, { comment_id: commentId });
      if (authorId !== undefined) await this.unlistByAuthor(authorId, commentId);
    } else if (row.author_id !== undefined) {
      await this.deps.store.put(authorCommentsByTime, {
        ...(await authorComments.writePartition(this.deps.store, row.author_id, commentId)),
        comment_id: commentId,
        post_id: postId,
      });
    }
    await this.recount(postId);
  }

  /** The user's own comments, newest first ("your comments"); those deleted since are skipped. */
  async mine(userId: string, page: PageRequest): Promise<Page<CommentView>> {
    const [slice, author] = await Promise.all([
      authorComments.page(this.deps.store, userId, page),
      this.deps.accounts.view(userId, userId),
    ]);
    if (author === undefined) return { items: [], nextCursor: null };
    const rows = await Promise.all(
      slice.rows.map((entry) =>
        this.deps.store.get(comments, {
          ...postComments.partitionOf(entry.post_id ?? "", entry.comment_id),
          comment_id: entry.comment_id,
        }),
      ),
    );
    return {
      items: rows
        .filter((row): row is Row<typeof comments> => row !== undefined && row.author_id === userId)
        .map((row) => toCommentView(row, author)),
      nextCursor: slice.nextCursor,
    };
  }

  private async unlistByAuthor(authorId: string, commentId: string): Promise<void> {
    await this.deps.store.delete(authorCommentsByTime, {
      ...authorComments.partitionOf(authorId, commentId),
      comment_id: commentId,
    });
  }

  /** Sets the post's comment count to the number of its comments; answers that number. */
  async recount(postId: string): Promise<number> {
    const listed = await postComments.count(this.deps.store, postId);
    await setCounter(this.deps.store, postCounts, { post_id: postId }, "comments", listed);
    this.deps.countsChanged?.(postId);
    return listed;
  }

  /**
   * A reply needs its comment, on this post, as the replier sees it: like Mastodon's reply to a status that is
   * gone or hidden, anything else answers 404 (a comment of another post is not one of this post's).
   */
  private async checkParent(replierId: string, postId: string, replyToId: string): Promise<void> {
    const parent = await this.deps.store.get(comments, {
      ...postComments.partitionOf(postId, replyToId),
      comment_id: replyToId,
    });
    const author =
      parent?.author_id === undefined
        ? undefined
        : await this.deps.accounts.view(replierId, parent.author_id);
    if (author === undefined) {
      throw new NotFoundError("COMMENT_NOT_FOUND", "replyToId names no comment of this post", {
        field: "replyToId",
      });
    }
  }

  private async notify(
    actorId: string,
    postAuthorId: string,
    postId: string,
    commentId: string,
    mentionedIds: readonly string[],
  ): Promise<void> {
    // Only people who may see the post hear of it; the comment is stored, so a failed look-up tells no one.
    const audience = await this.deps.posts
      .audienceOf(
        postId,
        mentionedIds.filter((id) => id !== actorId),
      )
      .catch((): string[] => []);
    await Promise.all([
      ...(postAuthorId === actorId
        ? []
        : [
            quietly(() =>
              this.deps.notifier.notify({
                recipientId: postAuthorId,
                type: "comment",
                actorId,
                postId,
                commentId,
              }),
            ),
          ]),
      ...audience.map((recipientId) =>
        quietly(() =>
          this.deps.notifier.notify({ recipientId, type: "mention", actorId, postId, commentId }),
        ),
      ),
    ]);
  }
}

function toCommentView(row: Row<typeof comments>, author: UserView): CommentView {
  return {
    id: row.comment_id,
    postId: row.post_id,
    author,
    text: row.text ?? "",
    createdAt: (row.created_at ?? new Date(0)).toISOString(),
    replyToId: row.reply_to_id ?? null,
  };
}

function commentNotFound(): NotFoundError {
  return new NotFoundError("COMMENT_NOT_FOUND", "no such comment");
}
