import { LruMap } from "../concurrency/lru-map";
import { KeptWhileUnchanged, setBounded } from "../concurrency/kept-while-unchanged";
import { NO_ENGAGEMENT, type EngagementSource, type PostEngagement } from "../posts/engagement";
import type { WideRowStore } from "../store/store";
import { likes, markChanges, postCounts, saves } from "./tables";

/** Posts whose counts a node keeps at once; past it the least recently read are read again. */
const KEPT_COUNTS = 50_000;
/** Viewers whose likes and saves a node keeps, and posts kept per viewer (past it they start again). */
const KEPT_VIEWERS = 20_000;
const KEPT_MARKS_PER_VIEWER = 1_000;
/**
 * How long a viewer's marks are kept without a change: every read checks their mark count, so this only bounds
 * a change whose count could not be bumped (the store failed between its writes and the bump).
 */
const MARKS_MAX_AGE_MS = 60_000;
/**
 * How long a post's like and comment counts are shown without reading them again: a count may lag by this much
 * (docs/architecture.md says so). Whether the viewer liked or saved it shows at once: see `marksOf`.
 */
export const COUNTS_MAX_AGE_MS = 1_000;

/** Bumps the user's mark count after a like, unlike, save or unsave (see markChanges). */
export async function marked(store: WideRowStore, userId: string): Promise<void> {
  await store.increment(markChanges, { user_id: userId }, { changes: 1 });
}

function engagementOf(
  counts: { likes: number; comments: number },
  mark: { liked: boolean; saved: boolean },
): PostEngagement {
  return {
    // Counter writes are not idempotent under retries; whatever drift that leaves never shows below zero.
    likeCount: Math.max(0, counts.likes),
    commentCount: Math.max(0, counts.comments),
    likedByMe: mark.liked,
    savedByMe: mark.saved,
  };
}

/** What a node read of one viewer's likes and saves, by post. */
type Marks = Map<string, { liked: boolean; saved: boolean }>;

export class Engagement implements EngagementSource {
  private readonly store: WideRowStore;
  private readonly now: () => number;
  private readonly counts = new LruMap<string, { likes: number; comments: number; until: number }>(
    KEPT_COUNTS,
  );
  private readonly marks: KeptWhileUnchanged<Marks>;

  constructor(deps: { store: WideRowStore; now?: () => number }) {
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
    this.marks = new KeptWhileUnchanged<Marks>(KEPT_VIEWERS, MARKS_MAX_AGE_MS, () => new Map(), this.now);
  }

  /** The post's counts changed on this node: its next read is fresh. */
  forget(postId: string): void {
    this.counts.delete(postId);
  }

  /** A post's counts, read at most once a COUNTS_MAX_AGE_MS on this node. */
  private async countsOf(postId: string, now: number): Promise<{ likes: number; comments: number }> {
    const row = await this.store.get(postCounts, { post_id: postId });
    const fresh = { likes: row?.likes ?? 0, comments: row?.comments ?? 0, until: now + COUNTS_MAX_AGE_MS };
    this.counts.set(postId, fresh);
    return fresh;
  }

  async of(viewerId: string, postIds: readonly string[]): Promise<Map<string, PostEngagement>> {
    const marks = await this.marksOf(viewerId);
    const now = this.now();
    const answer = new Map<string, PostEngagement>();
    // A warm page has every count and mark kept: it is answered without a promise per post.
    const missing: Promise<void>[] = [];
    for (const postId of postIds) {
      if (answer.has(postId)) continue;
      const kept = this.counts.get(postId);
      const counts = kept !== undefined && kept.until > now ? kept : undefined;
      const mark = marks.get(postId);
      if (counts !== undefined && mark !== undefined) {
        answer.set(postId, engagementOf(counts, mark));
        continue;
      }
      // Holds the post's place (and marks it asked) until its reads are in.
      answer.set(postId, NO_ENGAGEMENT);
      missing.push(
        Promise.all([
          counts ?? this.countsOf(postId, now),
          mark ?? this.markOf(viewerId, postId, marks),
        ]).then(([c, m]) => {
          answer.set(postId, engagementOf(c, m));
        }),
      );
    }
    if (missing.length > 0) await Promise.all(missing);
    return answer;
  }

  /**
   * What this node read of the viewer's likes and saves, kept while their mark count stays the same: one read
   * of that count per answer instead of two point reads per post, and their own like still shows at once (it
   * bumps the count before it answers).
   */
  private async marksOf(viewerId: string): Promise<Marks> {
    const changes = (await this.store.get(markChanges, { user_id: viewerId }))?.changes ?? 0;
    return this.marks.of(viewerId, changes);
  }

  private async markOf(
    viewerId: string,
    postId: string,
    marks: Marks,
  ): Promise<{ liked: boolean; saved: boolean }> {
    const kept = marks.get(postId);
    if (kept !== undefined) return kept;
    const [like, save] = await Promise.all([
      this.store.get(likes, { user_id: viewerId, post_id: postId }),
      this.store.get(saves, { user_id: viewerId, post_id: postId }),
    ]);
    const mark = { liked: like !== undefined, saved: save !== undefined };
    setBounded(marks, postId, mark, KEPT_MARKS_PER_VIEWER);
    return mark;
  }
}
