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
  /** Whether each post still exists: a post already deleted has no count to correct. */
  existing?: (postIds: readonly string[]) => Promise<Set<string>>;
}

/** Where a walk is: the list it is in, and the position (clustering value) it goes on after. */
interface Position<P extends string> {
  phase: P;
  after?: string;
}

const POST_PHASES = ["likes", "comments", "savers"] as const;
const USER_PHASES = ["likes", "comments", "saves", "affinities"] as const;

/**
 * The erasure of what accounts did to posts: a post's likes, comments and saves by anyone (the post goes), and an
 * account's likes, comments and saves of anyone's posts (the account goes), with the counts of posts that stay
 * corrected. Each list is walked a page a call from the position the last call reached (the cursor), never from
 * its head again: on Cassandra the head of a list being deleted is all tombstones. Every delete is idempotent, so
 * a call cut short is simply made again from the same cursor.
 */
export class InteractionsErasure {
  constructor(private readonly deps: InteractionsErasureDeps) {}

  /**
   * Removes a page of what others left on the post; done once nothing is left (then its counts and lists go).
   * Pass back the cursor of the last answer.
   */
  async forgetPost(postId: string, cursor?: string): Promise<{ done: boolean; cursor?: string }> {
    const { store } = this.deps;
    const at = openPosition(POST_PHASES, cursor);
    const after = at.after;
    let last: string | undefined;
    let more = false;
    if (at.phase === "likes") {
      const page = await postLikers.walk(store, postId, {
        limit: PAGE,
        ...(after && { after: [after] as const }),
      });
      for (const row of page.rows) await this.removeLike(row.user_id, postId, row.like_id);
      last = page.rows.at(-1)?.like_id;
      more = page.more;
    } else if (at.phase === "comments") {
      const page = await postComments.walk(store, postId, {
        limit: PAGE,
        ...(after && { after: [after] as const }),
      });
      for (const row of page.rows) {
        await store.delete(commentPosts, { comment_id: row.comment_id });
        if (row.author_id !== undefined) await this.unlistComment(row.author_id, row.comment_id);
        await store.deleteIf(comments, {
          ...postComments.partitionOf(postId, row.comment_id),
          comment_id: row.comment_id,
        });
      }
      last = page.rows.at(-1)?.comment_id;
      more = page.more;
    } else {
      const page = await store.slice(
        postSavers,
        { post_id: postId },
        { limit: PAGE, ...(after && { gt: { user_id: after } }) },
      );
      for (const row of page.rows) await this.removeSave(row.user_id, postId);
      last = page.rows.at(-1)?.user_id;
      more = page.rows.length === PAGE;
    }
    const next = advance(POST_PHASES, at, more, last);
    if (next !== undefined) return { done: false, cursor: next };
    await postLikers.erase(store, postId);
    // Its rows went one by one above (a conditional table is never deleted by partition).
    await postComments.forgetIndex(store, postId);
    await store.deletePartition(postSavers, { post_id: postId });
    await store.delete(postCounts, { post_id: postId });
    this.deps.countsChanged?.(postId);
    return { done: true };
  }

  /**
   * Removes a page of the user's likes, comments and saves of others' posts, uncounting them, then what names
   * them in affinities; done once none is left (then the user's lists and marks go).
   */
  async eraseUser(userId: string, cursor?: string): Promise<{ done: boolean; cursor?: string }> {
    const { store } = this.deps;
    const at = openPosition(USER_PHASES, cursor);
    const after = at.after;
    let last: string | undefined;
    let more = false;
    if (at.phase === "likes") {
      const page = await likedPosts.walk(store, userId, {
        limit: PAGE,
        ...(after && { after: [after] as const }),
      });
      const live = await this.existing(page.rows.map((row) => row.post_id));
      for (const row of page.rows) {
        // Only the call whose conditional delete applies uncounts the like, as an unlike does.
        const removed = await this.removeLike(userId, row.post_id, row.like_id);
        if (removed && live.has(row.post_id)) await this.uncount(row.post_id, "likes");
      }
      last = page.rows.at(-1)?.like_id;
      more = page.more;
    } else if (at.phase === "comments") {
      const page = await authorComments.walk(store, userId, {
        limit: PAGE,
        ...(after && { after: [after] as const }),
      });
      const live = await this.existing(
        page.rows.flatMap((row) => (row.post_id === undefined ? [] : [row.post_id])),
      );
      for (const row of page.rows) {
        const postId = row.post_id;
        if (postId !== undefined) {
          const mine = await store.deleteIf(comments, {
            ...postComments.partitionOf(postId, row.comment_id),
            comment_id: row.comment_id,
          });
          if (mine && live.has(postId)) await this.uncount(postId, "comments");
        }
        await store.delete(commentPosts, { comment_id: row.comment_id });
        await this.unlistComment(userId, row.comment_id);
      }
      last = page.rows.at(-1)?.comment_id;
      more = page.more;
    } else if (at.phase === "saves") {
      const page = await savedPosts.walk(store, userId, {
        limit: PAGE,
        ...(after && { after: [after] as const }),
      });
      for (const row of page.rows) {
        await store.delete(savesByTime, {
          ...savedPosts.partitionOf(userId, row.save_id),
          save_id: row.save_id,
          post_id: row.post_id,
        });
        await this.removeSave(userId, row.post_id);
      }
      last = page.rows.at(-1)?.save_id;
      more = page.more;
    } else {
      // Affinities keep their own place: both of the account's partitions are consumed whole.
      more = this.deps.eraseAffinities !== undefined && !(await this.deps.eraseAffinities(userId));
    }
    const next = advance(USER_PHASES, at, more, last);
    if (next !== undefined) return { done: false, cursor: next };
    await likedPosts.erase(store, userId);
    await authorComments.erase(store, userId);
    await savedPosts.erase(store, userId);
    await store.delete(markChanges, { user_id: userId });
    return { done: true };
  }

  private async existing(postIds: readonly string[]): Promise<Set<string>> {
    if (this.deps.existing === undefined) return new Set(postIds);
    return this.deps.existing([...new Set(postIds)]);
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

  /**
   * A save's rows: the saver's list row first (the deciding row is what finds it, so it goes last but one), the
   * deciding row, then the post's index row that led here.
   */
  private async removeSave(userId: string, postId: string): Promise<void> {
    const { store } = this.deps;
    const row = await store.get(saves, { user_id: userId, post_id: postId });
    if (row?.save_id !== undefined) {
      await store.delete(savesByTime, {
        ...savedPosts.partitionOf(userId, row.save_id),
        save_id: row.save_id,
        post_id: postId,
      });
    }
    await store.deleteIf(saves, { user_id: userId, post_id: postId });
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

/** The phase and position a cursor names (the first phase, from its start, for none). */
function openPosition<P extends string>(phases: readonly P[], cursor?: string): Position<P> {
  const [phase, after] = (cursor ?? "").split(":");
  const known = phases.find((p) => p === phase);
  if (known === undefined) return { phase: phases[0] as P };
  return { phase: known, ...(after !== undefined && after !== "" && { after }) };
}

/** The cursor of the next call: on in this phase after `last`, or the next phase; undefined after the last one. */
function advance<P extends string>(
  phases: readonly P[],
  at: Position<P>,
  more: boolean,
  last: string | undefined,
): string | undefined {
  if (more) return `${at.phase}:${last ?? at.after ?? ""}`;
  const next = phases[phases.indexOf(at.phase) + 1];
  return next === undefined ? undefined : `${next}:`;
}
