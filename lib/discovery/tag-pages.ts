import type { ListedPost, PostListing } from "../posts/posts";
import type { WideRowStore } from "../store/store";
import { tagBucketCounts, tagCounts, tagListOwner, tagPostList, tagPosts } from "./tables";

/** Rows read per page when a repair recounts one bucket. */
const COUNT_PAGE = 1_000;

/**
 * The rows of tag pages, and how many posts carry each tag.
 *
 * Listing and unlisting run inside the post's journalled create or delete, and a crash re-runs them
 * (Posts.complete): each must be idempotent, and the count must never move twice for one post. A counter
 * increment is not idempotent, and a re-run cannot tell whether the increment before the crash landed, so:
 *
 * - the page row decides. It is taken with insert-if-absent and removed with a conditional delete, and only the
 *   call whose write applied moves the counts: a re-run finds the row already there (or gone) and moves nothing;
 * - what the crash may have cut off (the row written, its increments not) is repaired by recounting, as the write
 *   journal does, but only the one hour bucket the post's row lives in (bounded like the bucket's partition, not a
 *   hot tag's millions of posts): the re-run, whose write did not apply, counts that bucket's rows, and moves the
 *   bucket's counter and the tag's total by the difference from what the bucket's counter says.
 *
 * The bucket's counter moves before the tag's total, so the only state a repair cannot see (a crash between the
 * two increments) leaves the total one short, never one over; and, as with every recount here, a post of the
 * same tag and hour listed during the repair can leave that bucket off by one until its next repair.
 */
export class TagPages implements PostListing {
  constructor(private readonly store: WideRowStore) {}

  async listed(post: ListedPost): Promise<void> {
    await Promise.all(post.hashtags.map((tag) => this.add(tag, post)));
  }

  async unlisted(post: ListedPost): Promise<void> {
    await Promise.all(post.hashtags.map((tag) => this.remove(tag, post)));
  }

  /** Posts carrying the tag now (0 for a tag never used). */
  async tagPostCount(tag: string): Promise<number> {
    const row = await this.store.get(tagCounts, { tag });
    return Math.max(0, row?.posts ?? 0);
  }

  private async add(tag: string, post: ListedPost): Promise<void> {
    const owner = tagListOwner(tag);
    const partition = await tagPostList.writePartition(this.store, owner, post.postId);
    const inserted = await this.store.insertIfAbsent(tagPosts, {
      ...partition,
      post_id: post.postId,
      author_id: post.authorId,
      tag,
    });
    if (inserted.applied) await this.move(tag, partition.bucket, 1);
    else await this.repair(tag, owner, partition.bucket);
  }

  private async remove(tag: string, post: ListedPost): Promise<void> {
    const owner = tagListOwner(tag);
    const partition = tagPostList.partitionOf(owner, post.postId);
    const removed = await this.store.deleteIf(tagPosts, { ...partition, post_id: post.postId }, { tag });
    if (removed) await this.move(tag, partition.bucket, -1);
    else await this.repair(tag, owner, partition.bucket);
  }

  private async move(tag: string, bucket: number, delta: number): Promise<void> {
    await this.store.increment(tagBucketCounts, { tag, bucket }, { posts: delta });
    await this.store.increment(tagCounts, { tag }, { posts: delta });
  }

  /** Makes the bucket's counter (and the total, by as much) agree with the bucket's rows. */
  private async repair(tag: string, owner: string, bucket: number): Promise<void> {
    let rows = 0;
    let pageToken: string | undefined;
    do {
      const slice = await this.store.slice(tagPosts, tagPostList.shape.partition(owner, bucket), {
        limit: COUNT_PAGE,
        ...(pageToken !== undefined && { pageToken }),
      });
      rows += slice.rows.filter((row) => row.tag === tag).length;
      pageToken = slice.nextPageToken;
    } while (pageToken !== undefined);
    const counted = (await this.store.get(tagBucketCounts, { tag, bucket }))?.posts ?? 0;
    if (rows !== counted) await this.move(tag, bucket, rows - counted);
  }
}
