import type { EngagementSource, PostEngagement } from "../posts/engagement";
import type { WideRowStore } from "../store/store";
import { likes, postCounts, saves } from "./tables";

/** Counts and the viewer's own likes and saves of posts: three point reads a post, all at once. */
export class Engagement implements EngagementSource {
  private readonly store: WideRowStore;

  constructor(deps: { store: WideRowStore }) {
    this.store = deps.store;
  }

  async of(viewerId: string, postIds: readonly string[]): Promise<Map<string, PostEngagement>> {
    const entries = await Promise.all(
      [...new Set(postIds)].map(async (postId) => {
        const [counts, like, save] = await Promise.all([
          this.store.get(postCounts, { post_id: postId }),
          this.store.get(likes, { user_id: viewerId, post_id: postId }),
          this.store.get(saves, { user_id: viewerId, post_id: postId }),
        ]);
        const engagement: PostEngagement = {
          // Counter writes are not idempotent under retries; whatever drift that leaves never shows below zero.
          likeCount: Math.max(0, counts?.likes ?? 0),
          commentCount: Math.max(0, counts?.comments ?? 0),
          likedByMe: like !== undefined,
          savedByMe: save !== undefined,
        };
        return [postId, engagement] as const;
      }),
    );
    return new Map(entries);
  }
}
