import type { WideRowStore } from "../store/store";
import { HOUR_MS } from "./post-views";
import { postActivityTotals, postHours } from "./tables";

export type ActivityKind = "likes" | "comments" | "saves" | "shares";

/**
 * What happened to a post, hour by hour, for its author's insights: one counter increment per like, comment, save
 * or share as it is made (each is already a write of its own; this is one more). Undoing one (an unlike) leaves
 * the hour as it was: insights show what people did, the post's counts what stands.
 */
export class PostActivity {
  constructor(
    private readonly store: WideRowStore,
    private readonly now: () => number = Date.now,
  ) {}

  async record(postId: string, kind: ActivityKind): Promise<void> {
    const key = { post_id: postId, hour: Math.floor(this.now() / HOUR_MS) };
    await this.store.increment(postHours, key, deltaOf(kind));
    await this.store.increment(postActivityTotals, { post_id: postId }, deltaOf(kind));
  }
}

export interface ActivityTotals {
  likes: number;
  comments: number;
  saves: number;
  shares: number;
}

/** Each post's totals as made (zeros for one with none). */
export async function activityTotalsOf(
  store: WideRowStore,
  postIds: readonly string[],
): Promise<Map<string, ActivityTotals>> {
  const rows = await Promise.all(postIds.map((post_id) => store.get(postActivityTotals, { post_id })));
  return new Map(
    postIds.map((id, i) => {
      const row = rows[i];
      return [
        id,
        {
          likes: row?.likes ?? 0,
          comments: row?.comments ?? 0,
          saves: row?.saves ?? 0,
          shares: row?.shares ?? 0,
        },
      ];
    }),
  );
}

function deltaOf(
  kind: ActivityKind,
): { likes: number } | { comments: number } | { saves: number } | { shares: number } {
  switch (kind) {
    case "likes":
      return { likes: 1 };
    case "comments":
      return { comments: 1 };
    case "saves":
      return { saves: 1 };
    case "shares":
      return { shares: 1 };
  }
}
