import { forEachRow } from "../store/scan";
import type { WideRowStore } from "../store/store";
import {
  authorComments,
  authorCommentsByTime,
  comments,
  likedPosts,
  likes,
  postSavers,
  saves,
  userLikesByTime,
} from "./tables";

/**
 * Lists under their user every like, under their author every comment and under their post every save, made before
 * those lists existed (or that a lost write left out): a full scan of `likes_by_pair`, `comments_b` and
 * `saves_by_pair`, never on a request's path. Each write is an upsert of the row the live paths write, so running
 * it twice, or beside them, changes nothing.
 */
export async function backfillActivity(
  store: WideRowStore,
  authorOf: (postIds: readonly string[]) => Promise<ReadonlyMap<string, string>>,
): Promise<{ likes: number; comments: number; saves: number }> {
  let liked = 0;
  let commented = 0;
  // A page of likes at a time, so that their posts' authors are asked for together.
  let pending: { user_id: string; post_id: string; like_id?: string }[] = [];
  const listLikes = async () => {
    const authors = await authorOf([...new Set(pending.map((row) => row.post_id))]);
    for (const row of pending) {
      const authorId = authors.get(row.post_id);
      // A like of a post deleted since lists nothing: the list would skip it anyway.
      if (row.like_id === undefined || authorId === undefined) continue;
      await store.put(userLikesByTime, {
        ...(await likedPosts.writePartition(store, row.user_id, row.like_id)),
        like_id: row.like_id,
        post_id: row.post_id,
        author_id: authorId,
      });
      liked++;
    }
    pending = [];
  };
  await forEachRow(store, likes, async (row) => {
    pending.push(row);
    if (pending.length >= 500) await listLikes();
  });
  await listLikes();
  await forEachRow(store, comments, async (row) => {
    if (row.author_id === undefined) return;
    await store.put(authorCommentsByTime, {
      ...(await authorComments.writePartition(store, row.author_id, row.comment_id)),
      comment_id: row.comment_id,
      post_id: row.post_id,
    });
    commented++;
  });
  const saved = await forEachRow(store, saves, (row) =>
    store.put(postSavers, { post_id: row.post_id, user_id: row.user_id }),
  );
  return { likes: liked, comments: commented, saves: saved };
}
