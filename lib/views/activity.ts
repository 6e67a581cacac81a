import type { WideRowStore } from "../store/store";
import { HOUR_MS } from "./post-views";
import { postHours } from "./tables";

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
  }
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
