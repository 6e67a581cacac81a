import type { UserView } from "../accounts/user-view";
import type { PostView } from "../posts/posts";
import { KeyedLock } from "../concurrency/keyed-lock";
import type { InteractionsDeps } from "./deps";
import { marked } from "./engagement";
import type { Page, PageRequest } from "../validation/page";
import { quietly } from "./quietly";
import { likedPosts, likes, likesByTime, postCounts, postLikers, userLikesByTime } from "./tables";
import { setCounter } from "../store/counters";

export interface LikeState {
  liked: boolean;
  likeCount: number;
}

/**
 * Likes, counted exactly. A like is counted by the one request whose insert-if-absent of the deciding row
 * applies; an unlike is uncounted by the one request whose conditional delete of that row (same like id)
 * applies; both are lightweight transactions in Cassandra, so they are ordered against each other. Within a node a
 * lock per (post, user) also runs one user's likes and unlikes of a post one at a time, so a like cannot land
 * between an unlike's read and its delete.
 *
 * Writes go deciding row first on a like (then the list row, then the count) and deciding row first on an
 * unlike too. Each runs recorded in the write journal: one that a crash cut short is completed by `complete`,
 * which makes the list row agree with the deciding row and recounts the post's likes from the list (a counter
 * increment is not idempotent, so it is never simply tried again).
 */
export class Likes {
  private readonly locks = new KeyedLock();

  constructor(private readonly deps: InteractionsDeps) {}

  async like(userId: string, postId: string): Promise<LikeState> {
    const postAuthorId = await this.deps.posts.visibleAuthor(userId, postId);
    // When the like this request made was made, for its signal (an unlike's signal finds it there).
    let madeAt = 0;
    const isNew = await this.locked(userId, postId, () =>
      this.deps.journal.run("like", { userId, postId }, async () => {
        const fresh = { like_id: await this.deps.ids.next(), liked_at: new Date(this.deps.now()) };
        const inserted = await this.deps.store.insertIfAbsent(likes, {
          user_id: userId,
          post_id: postId,
          ...fresh,
        });
        const likeId = inserted.applied ? fresh.like_id : (inserted.existing.like_id ?? fresh.like_id);
        // Also on a repeat: rewrites list rows that a crash left out.
        await this.listLike(userId, postId, postAuthorId, likeId);
        if (inserted.applied) {
          madeAt = fresh.liked_at.getTime();
          await this.deps.store.increment(postCounts, { post_id: postId }, { likes: 1 });
          this.deps.countsChanged?.(postId);
        }
        return inserted.applied;
      }),
    );
    const { activity, affinity } = this.deps;
    if (isNew && activity) await quietly(() => activity.record(postId, "likes"));
    if (isNew && affinity) await quietly(() => affinity.bump(userId, postAuthorId, "likes"));
    if (isNew && postAuthorId !== userId) {
      await quietly(() =>
        this.deps.notifier.notify({ recipientId: postAuthorId, type: "like", actorId: userId, postId }),
      );
    }
    const signals = this.deps.signals;
    if (isNew && signals) {
      const event = { postId, authorId: postAuthorId, actorId: userId, at: madeAt };
      await quietly(() => signals.liked(event));
    }
    return { liked: true, likeCount: await this.count(postId) };
  }

  async unlike(userId: string, postId: string): Promise<LikeState> {
    const postAuthorId = await this.deps.posts.visibleAuthor(userId, postId);
    // When the like this request removed was made, for its signal.
    let undoneLikedAt: number | undefined;
    await this.locked(userId, postId, async () => {
      const row = await this.deps.store.get(likes, { user_id: userId, post_id: postId });
      const likeId = row?.like_id;
      if (likeId === undefined) return;
      await this.deps.journal.run("unlike", { userId, postId, likeId }, async () => {
        const removed = await this.deps.store.deleteIf(
          likes,
          { user_id: userId, post_id: postId },
          { like_id: likeId },
        );
        // Another unlike, on another node, removed this very like and uncounts it.
        if (!removed) return;
        await this.unlistLike(userId, postId, likeId);
        await this.deps.store.increment(postCounts, { post_id: postId }, { likes: -1 });
        this.deps.countsChanged?.(postId);
        undoneLikedAt = row?.liked_at?.getTime();
      });
    });
    const signals = this.deps.signals;
    if (undoneLikedAt !== undefined && signals) {
      const event = { postId, authorId: postAuthorId, actorId: userId, likedAt: undoneLikedAt };
      await quietly(() => signals.unliked(event));
    }
    return { liked: false, likeCount: await this.count(postId) };
  }

  /**
   * Who likes the post, newest like first, as the viewer sees them. Users hidden from the viewer (a block)
   * and list rows whose like is gone (an unlike cut short) are left out, so a page may be short.
   */
  async likers(viewerId: string, postId: string, page: PageRequest): Promise<Page<UserView>> {
    await this.deps.posts.visibleAuthor(viewerId, postId);
    const slice = await postLikers.page(this.deps.store, postId, page);
    const users = await Promise.all(
      slice.rows.map(async (row) => {
        const [like, user] = await Promise.all([
          this.deps.store.get(likes, { user_id: row.user_id, post_id: postId }),
          this.deps.accounts.view(viewerId, row.user_id),
        ]);
        return like?.like_id === row.like_id ? user : undefined;
      }),
    );
    return {
      items: users.filter((u): u is UserView => u !== undefined),
      nextCursor: slice.nextCursor,
    };
  }

  /**
   * Completes a like or an unlike (of `likeId`) cut short: the list row as the deciding row now says, then the
   * post's count as the list says.
   */
  async complete(userId: string, postId: string, likeId?: string): Promise<void> {
    await this.locked(userId, postId, async () => {
      const row = await this.deps.store.get(likes, { user_id: userId, post_id: postId });
      if (likeId !== undefined && row?.like_id !== likeId) await this.unlistLike(userId, postId, likeId);
      if (row?.like_id !== undefined) {
        const authorId = (await this.deps.posts.entriesOf([postId]))[0]?.authorId;
        if (authorId !== undefined) await this.listLike(userId, postId, authorId, row.like_id);
      }
    });
    await this.recount(postId);
  }

  /**
   * The posts the user liked, newest like first ("posts you've liked"). Posts deleted since, or that the user may
   * no longer see, are skipped, so a page may be short; the cursor still moves past them.
   */
  async liked(userId: string, page: PageRequest): Promise<Page<PostView>> {
    const slice = await likedPosts.page(this.deps.store, userId, page);
    const live = await Promise.all(
      slice.rows.map(async (row) => {
        const decided = await this.deps.store.get(likes, { user_id: userId, post_id: row.post_id });
        return decided?.like_id === row.like_id && row.author_id !== undefined
          ? { postId: row.post_id, authorId: row.author_id }
          : undefined;
      }),
    );
    const entries = live.filter((e): e is { postId: string; authorId: string } => e !== undefined);
    return { items: await this.deps.posts.hydrateVisible(userId, entries), nextCursor: slice.nextCursor };
  }

  /** The like's rows in the post's likers and in the user's likes (idempotent). */
  private async listLike(userId: string, postId: string, authorId: string, likeId: string): Promise<void> {
    const { store } = this.deps;
    const [byPost, byUser] = await Promise.all([
      postLikers.writePartition(store, postId, likeId),
      likedPosts.writePartition(store, userId, likeId),
    ]);
    await Promise.all([
      store.put(likesByTime, { ...byPost, like_id: likeId, user_id: userId }),
      store.put(userLikesByTime, { ...byUser, like_id: likeId, post_id: postId, author_id: authorId }),
    ]);
  }

  private async unlistLike(userId: string, postId: string, likeId: string): Promise<void> {
    const { store } = this.deps;
    await Promise.all([
      store.delete(likesByTime, {
        ...postLikers.partitionOf(postId, likeId),
        like_id: likeId,
        user_id: userId,
      }),
      store.delete(userLikesByTime, {
        ...likedPosts.partitionOf(userId, likeId),
        like_id: likeId,
        post_id: postId,
      }),
    ]);
  }

  /** Sets the post's like count to the number of its likers' rows; answers that number. */
  async recount(postId: string): Promise<number> {
    const listed = await postLikers.count(this.deps.store, postId);
    await setCounter(this.deps.store, postCounts, { post_id: postId }, "likes", listed);
    this.deps.countsChanged?.(postId);
    return listed;
  }

  private async count(postId: string): Promise<number> {
    const counts = await this.deps.store.get(postCounts, { post_id: postId });
    return Math.max(0, counts?.likes ?? 0);
  }

  /**
   * Runs one user's changes of one post one at a time, then bumps the user's mark count (markChanges), whether
   * the change went through or not: one cut short may have written its deciding row.
   */
  private async locked<T>(userId: string, postId: string, task: () => Promise<T>): Promise<T> {
    try {
      return await this.locks.run(`${postId}:${userId}`, task);
    } finally {
      await marked(this.deps.store, userId);
    }
  }
}
