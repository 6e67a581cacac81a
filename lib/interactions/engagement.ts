import { LruMap } from "../concurrency/lru-map";
import type { EngagementSource, PostEngagement } from "../posts/engagement";
import type { WideRowStore } from "../store/store";
import { likes, postCounts, saves } from "./tables";

/** Counts and the viewer's own likes and saves of posts: three point reads a post, all at once. */
/** Posts whose counts a node keeps at once; past it the least recently read are read again. */
const KEPT_COUNTS = 50_000;
/**
 * How long a post's like and comment counts are shown without reading them again: a count may lag by this much
 * (docs/architecture.md says so). Whether the viewer liked or saved it is always read: their own act shows at once.
 */
export const COUNTS_MAX_AGE_MS = 1_000;

export class Engagement implements EngagementSource {
  private readonly store: WideRowStore;
  private readonly now: () => number;
  private readonly counts = new LruMap<string, { likes: number; comments: number; until: number }>(
    KEPT_COUNTS,
  );

  constructor(deps: { store: WideRowStore; now?: () => number }) {
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
  }

  /** The post's counts changed on this node: its next read is fresh. */
  forget(postId: string): void {
    this.counts.delete(postId);
  }

  /** A post's counts, read at most once a COUNTS_MAX_AGE_MS on this node. */
  private async countsOf(postId: string): Promise<{ likes: number; comments: number }> {
    const now = this.now();
    const kept = this.counts.get(postId);
    if (kept !== undefined && kept.until > now) return kept;
    const row = await this.store.get(postCounts, { post_id: postId });
    const fresh = { likes: row?.likes ?? 0, comments: row?.comments ?? 0, until: now + COUNTS_MAX_AGE_MS };
    this.counts.set(postId, fresh);
    return fresh;
  }

  async of(viewerId: string, postIds: readonly string[]): Promise<Map<string, PostEngagement>> {
    const entries = await Promise.all(
      [...new Set(postIds)].map(async (postId) => {
        const [counts, like, save] = await Promise.all([
          this.countsOf(postId),
          this.store.get(likes, { user_id: viewerId, post_id: postId }),
          this.store.get(saves, { user_id: viewerId, post_id: postId }),
        ]);
        const engagement: PostEngagement = {
          // Counter writes are not idempotent under retries; whatever drift that leaves never shows below zero.
          likeCount: Math.max(0, counts.likes),
          commentCount: Math.max(0, counts.comments),
          likedByMe: like !== undefined,
          savedByMe: save !== undefined,
        };
        return [postId, engagement] as const;
      }),
    );
    return new Map(entries);
  }
}
