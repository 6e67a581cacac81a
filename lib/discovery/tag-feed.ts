import type { PostView } from "../contracts/objects";
import type { WideRowStore } from "../store/store";
import type { Position } from "../validation/bucketed-list";
import type { Page, PageRequest } from "../validation/page";
import type { VisiblePosts } from "./ports";
import { tagListOwner, tagPostList } from "./tables";

/**
 * How many rows one page may read, as a multiple of its limit. Rows the viewer may not see (private accounts,
 * blocks, posts deleted since) are skipped and more are read, so that asking for 20 gives 20 whenever 20 visible
 * posts exist; past this many rows the page answers what it found with a cursor to go on from there, so a tag
 * full of posts hidden from one viewer costs that viewer a bounded read per request.
 */
const READ_FACTOR = 10;
/** Fewest rows read at once while filling a page: a page whose rows are mostly hidden takes few rounds. */
const MIN_CHUNK = 8;

/** A tag's page as a viewer sees it: its posts newest first, without what the viewer may not see. */
export class TagFeed {
  constructor(
    private readonly deps: {
      store: WideRowStore;
      posts: VisiblePosts;
    },
  ) {}

  /**
   * One page. The cursor is the position of the last row read (not the last post shown), so rows skipped as
   * hidden are not read again, and posts arriving meanwhile sort before it: no repeats, no gaps.
   */
  async page(viewerId: string, tag: string, request: PageRequest): Promise<Page<PostView>> {
    const owner = tagListOwner(tag);
    let last: Position | undefined =
      request.cursor === undefined ? undefined : tagPostList.openCursor(owner, request.cursor);
    const budget = READ_FACTOR * request.limit;
    const items: PostView[] = [];
    let read = 0;
    let more = true;
    while (items.length < request.limit && read < budget) {
      const want = Math.min(budget - read, Math.max(request.limit - items.length, MIN_CHUNK));
      const chunk = await tagPostList.walk(this.deps.store, owner, { after: last, limit: want });
      read += chunk.rows.length;
      const ours = chunk.rows.flatMap((row) =>
        row.tag === tag && row.author_id !== undefined
          ? [{ postId: row.post_id, authorId: row.author_id }]
          : [],
      );
      const views = await this.deps.posts.hydrateVisible(viewerId, ours);
      const byId = new Map(views.map((view) => [view.id, view]));
      let consumed = 0;
      for (const row of chunk.rows) {
        consumed++;
        last = tagPostList.shape.position(row);
        const view = row.tag === tag ? byId.get(row.post_id) : undefined;
        if (view !== undefined) items.push(view);
        if (items.length === request.limit) break;
      }
      more = chunk.more || consumed < chunk.rows.length;
      if (!more) break;
    }
    return { items, nextCursor: more && last !== undefined ? tagPostList.cursorAt(owner, last) : null };
  }
}
