import type { Slice, WideRowStore } from "../store/store";
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

/** Rows read per page of the scans. */
const SCAN_PAGE = 500;

/**
 * Lists under their user every like, under their author every comment and under their post every save, made before
 * those lists existed (or that a lost write left out): a full scan of `likes_by_pair`, `comments_b` and
 * `saves_by_pair`, never on a request's path. Each write
 * is an upsert of the row the live paths write, so running it twice, or beside them, changes nothing.
 */
export async function backfillActivity(
  store: WideRowStore,
  authorOf: (postIds: readonly string[]) => Promise<ReadonlyMap<string, string>>,
): Promise<{ likes: number; comments: number; saves: number }> {
  let liked = 0;
  let pageToken: string | undefined;
  do {
    const page: Slice<typeof likes> = await store.scan(likes, {
      limit: SCAN_PAGE,
      ...(pageToken !== undefined && { pageToken }),
    });
    const authors = await authorOf([...new Set(page.rows.map((row) => row.post_id))]);
    for (const row of page.rows) {
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
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);

  let commented = 0;
  pageToken = undefined;
  do {
    const page: Slice<typeof comments> = await store.scan(comments, {
      limit: SCAN_PAGE,
      ...(pageToken !== undefined && { pageToken }),
    });
    for (const row of page.rows) {
      if (row.author_id === undefined) continue;
      await store.put(authorCommentsByTime, {
        ...(await authorComments.writePartition(store, row.author_id, row.comment_id)),
        comment_id: row.comment_id,
        post_id: row.post_id,
      });
      commented++;
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  let saved = 0;
  pageToken = undefined;
  do {
    const page: Slice<typeof saves> = await store.scan(saves, {
      limit: SCAN_PAGE,
      ...(pageToken !== undefined && { pageToken }),
    });
    for (const row of page.rows) {
      await store.put(postSavers, { post_id: row.post_id, user_id: row.user_id });
      saved++;
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return { likes: liked, comments: commented, saves: saved };
}
