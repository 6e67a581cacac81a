import { compareIds } from "../ids";
import { authorPosts } from "../posts/tables";
import type { WideRowStore } from "../store/store";
import type { TimelineEntry } from "./timelines";
import { LruMap } from "../concurrency/lru-map";

interface Recent {
  /** The newest post ids, newest first. */
  ids: string[];
  /** True when `ids` holds every post the author has (the partition had fewer rows than the window). */
  whole: boolean;
  at: number;
}

/**
 * The recent post ids of each celebrity, shared by every reader on this node: without it each feed read sliced a
 * window of post rows per followed celebrity. Refreshed at most once per `ttlMs` (one load at a time, readers
 * arriving meanwhile share it), and at once when told the author posted; a deleted post is skipped by hydration.
 * Pages past the window read the partition itself.
 */
export class CelebrityPosts {
  private readonly recent: LruMap<string, Promise<Recent>>;
  private readonly now: () => number;
  private readonly window: number;
  private readonly ttlMs: number;

  constructor(
    private readonly store: WideRowStore,
    options: { window?: number; ttlMs?: number; maxAuthors?: number; now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.window = options.window ?? 64;
    this.ttlMs = options.ttlMs ?? 1_000;
    this.recent = new LruMap(options.maxAuthors ?? 2_000);
  }

  /** Up to `limit` of the author's posts older than `before` (or the newest), newest first. */
  async page(authorId: string, options: { before?: string; limit: number }): Promise<TimelineEntry[]> {
    const recent = await this.load(authorId);
    const ids = recent.ids.filter((id) => options.before === undefined || compareIds(id, options.before) < 0);
    if (ids.length >= options.limit || recent.whole) {
      return ids.slice(0, options.limit).map((postId) => ({ postId, authorId }));
    }
    const rows = await authorPosts.first(this.store, authorId, {
      ...(options.before !== undefined && { after: [options.before] as const }),
      limit: options.limit,
    });
    return rows.map((r) => ({ postId: r.post_id, authorId }));
  }

  /** The author posted: the next reader on this node reads the partition again instead of waiting out the delay. */
  forget(authorId: string): void {
    this.recent.delete(authorId);
  }

  private async load(authorId: string): Promise<Recent> {
    const cached = this.recent.peek(authorId);
    if (cached) {
      const recent = await cached;
      if (this.now() - recent.at <= this.ttlMs) return recent;
      // Another reader may have started the refresh while this one waited.
      const latest = this.recent.peek(authorId);
      if (latest !== cached && latest !== undefined) return latest;
    }
    const loading = this.read(authorId);
    this.recent.set(authorId, loading);
    loading.catch(() => {
      if (this.recent.peek(authorId) === loading) this.recent.delete(authorId);
    });
    return loading;
  }

  private async read(authorId: string): Promise<Recent> {
    const at = this.now();
    const slice = await authorPosts.walk(this.store, authorId, { limit: this.window });
    return { ids: slice.rows.map((r) => r.post_id), whole: !slice.more, at };
  }
}
