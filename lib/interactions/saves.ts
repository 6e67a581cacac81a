import { quietly } from "./quietly";
import { KeyedLock } from "../concurrency/keyed-lock";
import type { PostView } from "../posts/posts";
import type { InteractionsDeps } from "./deps";
import { marked } from "./engagement";
import type { Page, PageRequest } from "../validation/page";
import { postSavers, savedPosts, saves, savesByTime } from "./tables";

/**
 * Saved posts: a deciding row per (user, post), its own partition, and a list row per save in the user's
 * partition of that save's month. Nothing is counted, so a lock per (user, post) within a node is enough to keep
 * the two rows in step; the list is read against the deciding rows, so a list row left by a race or a crash
 * never shows.
 */
export class Saves {
  private readonly locks = new KeyedLock();

  constructor(private readonly deps: InteractionsDeps) {}

  async save(userId: string, postId: string): Promise<{ saved: boolean }> {
    const postAuthorId = await this.deps.posts.visibleAuthor(userId, postId);
    const isNew = await this.locked(userId, postId, async () => {
      const fresh = { save_id: await this.deps.ids.next(), saved_at: new Date(this.deps.now()) };
      const inserted = await this.deps.store.insertIfAbsent(saves, {
        user_id: userId,
        post_id: postId,
        ...fresh,
      });
      const saveId = inserted.applied ? fresh.save_id : (inserted.existing.save_id ?? fresh.save_id);
      await this.deps.store.put(postSavers, { post_id: postId, user_id: userId });
      await this.deps.store.put(savesByTime, {
        ...(await savedPosts.writePartition(this.deps.store, userId, saveId)),
        save_id: saveId,
        post_id: postId,
        author_id: postAuthorId,
      });
      return inserted.applied;
    });
    const activity = this.deps.activity;
    if (isNew && activity) await quietly(() => activity.record(postId, "saves"));
    return { saved: true };
  }

  async unsave(userId: string, postId: string): Promise<{ saved: boolean }> {
    await this.deps.posts.visibleAuthor(userId, postId);
    await this.locked(userId, postId, async () => {
      const row = await this.deps.store.get(saves, { user_id: userId, post_id: postId });
      if (row === undefined) return;
      // Conditional, as the save was taken with insert-if-absent: Cassandra orders the two by the same clock.
      await this.deps.store.deleteIf(
        saves,
        { user_id: userId, post_id: postId },
        row.save_id === undefined ? {} : { save_id: row.save_id },
      );
      await this.deps.store.delete(postSavers, { post_id: postId, user_id: userId });
      if (row.save_id !== undefined) {
        await this.deps.store.delete(savesByTime, {
          ...savedPosts.partitionOf(userId, row.save_id),
          save_id: row.save_id,
          post_id: postId,
        });
      }
    });
    return { saved: false };
  }

  /**
   * The user's saved posts, most recently saved first. Posts deleted since, or that the user may no longer
   * see, are skipped, so a page may be short; the cursor still moves past them.
   */
  async list(userId: string, page: PageRequest): Promise<Page<PostView>> {
    const slice = await savedPosts.page(this.deps.store, userId, page);
    const live = await Promise.all(
      slice.rows.map(async (row) => {
        const decided = await this.deps.store.get(saves, { user_id: userId, post_id: row.post_id });
        return decided?.save_id === row.save_id && row.author_id !== undefined
          ? { postId: row.post_id, authorId: row.author_id }
          : undefined;
      }),
    );
    const entries = live.filter((e): e is { postId: string; authorId: string } => e !== undefined);
    const items = await this.deps.posts.hydrateVisible(userId, entries);
    return { items, nextCursor: slice.nextCursor };
  }

  /**
   * Runs one user's changes of one post one at a time, then bumps the user's mark count (markChanges), whether
   * the change went through or not: one cut short may have written its deciding row.
   */
  private async locked<T>(userId: string, postId: string, task: () => Promise<T>): Promise<T> {
    try {
      return await this.locks.run(`${userId}:${postId}`, task);
    } finally {
      await marked(this.deps.store, userId);
    }
  }
}
