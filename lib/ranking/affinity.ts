import type { WideRowStore } from "../store/store";
import { affinities } from "./tables";

export type AffinityKind = "likes" | "comments" | "messages";

/** Authors of a reader's partition read per ranking: past it, the least-engaged are not worth a read. */
const MAX_AUTHORS = 1_000;
/** A comment or a message says more than a like. */
const WEIGHTS: Readonly<Record<AffinityKind, number>> = { likes: 1, comments: 2, messages: 2 };

/** Who engages with whom (lib/ranking/tables.ts): written as readers act, read by the ranked feed. */
export class Affinities {
  constructor(private readonly store: WideRowStore) {}

  async bump(userId: string, authorId: string, kind: AffinityKind): Promise<void> {
    if (userId === authorId) return;
    const key = { user_id: userId, author_id: authorId };
    await this.store.increment(
      affinities,
      key,
      kind === "likes" ? { likes: 1 } : kind === "comments" ? { comments: 1 } : { messages: 1 },
    );
  }

  /** The reader's weighted engagement with each author they engaged with (at most the first 1,000 read). */
  async of(userId: string): Promise<Map<string, number>> {
    const weights = new Map<string, number>();
    let pageToken: string | undefined;
    do {
      const page = await this.store.slice(affinities, { user_id: userId }, { limit: 500, pageToken });
      for (const row of page.rows) {
        const weight =
          (row.likes ?? 0) * WEIGHTS.likes +
          (row.comments ?? 0) * WEIGHTS.comments +
          (row.messages ?? 0) * WEIGHTS.messages;
        if (weight > 0) weights.set(row.author_id, weight);
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined && weights.size < MAX_AUTHORS);
    return weights;
  }
}
