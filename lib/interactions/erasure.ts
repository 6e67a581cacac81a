import type { WideRowStore } from "../store/store";
import {
  authorComments,
  authorCommentsByTime,
  commentPosts,
  comments,
  likedPosts,
  likes,
  likesByTime,
  markChanges,
  postComments,
  postCounts,
  postLikers,
  postSavers,
  savedPosts,
  saves,
  savesByTime,
  userLikesByTime,
} from "./tables";

/** Rows one call removes at most: an erasure step's call stays short, and the job records its progress between. */
const PAGE = 100;

export interface InteractionsErasureDeps {
  store: WideRowStore;
  /** A post's counts changed here: counts this node keeps of it are stale. */
  countsChanged?: (postId: string) => void;
  /** Removes what names a user as reader or author in the ranked feed's affinities; true once none is left. */
  eraseAffinities?: (userId: string) => Promise<boolean>;
}

/**
 * The erasure of what accounts did to posts: a post's likes, comments and saves by anyone (the post goes), and an
 * account's likes, comments and saves of anyone's posts (the account goes), with the counts of posts that stay
 * corrected. Lists are consumed from their head, one page a call, every delete unconditional on the list rows: a
 * call cut short is simply called again.
 */
export class InteractionsErasure {
  constructor(private readonly deps: InteractionsErasureDeps) {}

  /** Removes a page of what others left on the post; true once nothing is left (then its counts and lists go). */
  async forgetPost(postId: string): Promise<boolean> {
    const { store } = this.deps;
    const liked = await postLikers.walk(store, postId, { limit: PAGE });
    for (const row of liked.rows) await this.removeLike(row.user_id, postId, row.like_id);
    const commented = await postComments.walk(store, postId, { limit: PAGE });
    for (const row of commented.rows) {
      await store.delete(commentPosts, { comment_id: row.comment_id });
      if (row.author_id !== undefined) await this.unlistComment(row.author_id, row.comment_id);
      await store.deleteIf(comments, {
        ...postComments.partitionOf(postId, row.comment_id),
        comment_id: row.comment_id,
      });
    }
    const saved = await store.slice(postSavers, { post_id: postId }, { limit: PAGE });
    for (const row of saved.rows) await this.removeSave(row.user_id, postId);
    if (liked.rows.length + commented.rows.length + saved.rows.length > 0) return false;
    await postLikers.erase(store, postId);
    // Its rows went one by one above (a conditional table is never deleted by partition).
    await postComments.forgetIndex(store, postId);
    await store.deletePartition(postSavers, { post_id: postId });
    await store.delete(postCounts, { post_id: postId });
    this.deps.countsChanged?.(postId);
    return true;
  }

  /**
   * Removes a page of the user's likes, comments and saves of others' posts, uncounting them; true once none is
   * left (then the user's lists and marks go, and what names them in affinities).
   */
  async eraseUser(userId: string): Promise<boolean> {
    const { store } = this.deps;
    const liked = await likedPosts.walk(store, userId, { limit: PAGE });
    for (const row of liked.rows) {
      // Only the call whose conditional delete applies uncounts the like, as an unlike does.
      if (await this.removeLike(userId, row.post_id, row.like_id)) await this.uncount(row.post_id, "likes");
    }
    const commented = await authorComments.walk(store, userId, { limit: PAGE });
    for (const row of commented.rows) {
      const postId = row.post_id;
      if (postId !== undefined) {
        const mine = await store.deleteIf(comments, {
          ...postComments.partitionOf(postId, row.comment_id),
          comment_id: row.comment_id,
        });
        if (mine) await this.uncount(postId, "comments");
      }
      await store.delete(commentPosts, { comment_id: row.comment_id });
      await this.unlistComment(userId, row.comment_id);
    }
    const saved = await savedPosts.walk(store, userId, { limit: PAGE });
    for (const row of saved.rows) {
      await this.removeSave(userId, row.post_id);
      await store.delete(savesByTime, {
        ...savedPosts.partitionOf(userId, row.save_id),
        save_id: row.save_id,
        post_id: row.post_id,
      });
    }
    if (liked.rows.length + commented.rows.length + saved.rows.length > 0) return false;
    if (this.deps.eraseAffinities && !(await this.deps.eraseAffinities(userId))) return false;
    await likedPosts.erase(store, userId);
    await authorComments.erase(store, userId);
    await savedPosts.erase(store, userId);
    await store.delete(markChanges, { user_id: userId });
    return true;
  }

  /**
   * A like's rows: the deciding row (only if it is this like), the post's list row and the liker's. Answers
   * whether this call removed the deciding row.
   */
  private async removeLike(userId: string, postId: string, likeId: string): Promise<boolean> {
    const { store } = this.deps;
    const removed = await store.deleteIf(likes, { user_id: userId, post_id: postId }, { like_id: likeId });
    await store.delete(likesByTime, {
      ...postLikers.partitionOf(postId, likeId),
      like_id: likeId,
      user_id: userId,
    });
    await store.delete(userLikesByTime, {
      ...likedPosts.partitionOf(userId, likeId),
      like_id: likeId,
      post_id: postId,
    });
    return removed;
  }

  private async unlistComment(authorId: string, commentId: string): Promise<void> {
    await this.deps.store.delete(authorCommentsByTime, {
      ...authorComments.partitionOf(authorId, commentId),
      comment_id: commentId,
    });
  }

  /** A save's deciding row and its post's index row; the saver's list row is the caller's (keyed by its id). */
  private async removeSave(userId: string, postId: string): Promise<void> {
    const { store } = this.deps;
    const row = await store.get(saves, { user_id: userId, post_id: postId });
    await store.deleteIf(saves, { user_id: userId, post_id: postId });
    if (row?.save_id !== undefined) {
      await store.delete(savesByTime, {
        ...savedPosts.partitionOf(userId, row.save_id),
        save_id: row.save_id,
        post_id: postId,
      });
    }
    await store.delete(postSavers, { post_id: postId, user_id: userId });
  }

  /** Takes one from the count of a post that stays, as an unlike or a comment's deletion does. */
  private async uncount(postId: string, counter: "likes" | "comments"): Promise<void> {
    await this.deps.store.increment(
      postCounts,
      { post_id: postId },
      counter === "likes" ? { likes: -1 } : { comments: -1 },
    );
    this.deps.countsChanged?.(postId);
  }
}
