import { LruMap } from "../concurrency/lru-map";
import { forEachRow } from "../store/scan";
import type { WideRowStore } from "../store/store";
import { affinities, affinityReaders } from "./tables";

export type AffinityKind = "likes" | "comments" | "messages";

/** Authors of a reader's partition read per ranking: past it, the least-engaged are not worth a read. */
const MAX_AUTHORS = 1_000;
/** A comment or a message says more than a like. */
const WEIGHTS: Readonly<Record<AffinityKind, number>> = { likes: 1, comments: 2, messages: 2 };
/** Reader-author pairs a node remembers having indexed, so that a reader's tenth like writes one row, not two. */
const INDEXED_PAIRS = 10_000;
/** Rows an erasure call removes at most. */
const ERASE_PAGE = 200;

/** Who engages with whom (lib/ranking/tables.ts): written as readers act, read by the ranked feed. */
export class Affinities {
  private readonly indexed = new LruMap<string, true>(INDEXED_PAIRS);

  constructor(private readonly store: WideRowStore) {}

  async bump(userId: string, authorId: string, kind: AffinityKind): Promise<void> {
    if (userId === authorId) return;
    const key = { user_id: userId, author_id: authorId };
    const pair = `${userId}:${authorId}`;
    if (this.indexed.get(pair) === undefined) {
      await this.store.put(affinityReaders, { author_id: authorId, user_id: userId });
      this.indexed.set(pair, true);
    }
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

  /** Writes the readers of each author for counts made before that list existed (a full scan); idempotent. */
  backfillReaders(): Promise<number> {
    return forEachRow(this.store, affinities, (row) =>
      this.store.put(affinityReaders, { author_id: row.author_id, user_id: row.user_id }),
    );
  }

  /**
   * Removes a page of what names the user, as a reader and as an author (an account's erasure); answers true once
   * nothing is left. Both partitions are consumed from their head, so a call after a crash goes on where it was.
   */
  async erase(userId: string): Promise<boolean> {
    const read = await this.store.slice(affinities, { user_id: userId }, { limit: ERASE_PAGE });
    await Promise.all(
      read.rows.map(async (row) => {
        await this.store.delete(affinityReaders, { author_id: row.author_id, user_id: userId });
        await this.store.delete(affinities, { user_id: userId, author_id: row.author_id });
      }),
    );
    if (read.rows.length > 0) return false;
    const readers = await this.store.slice(affinityReaders, { author_id: userId }, { limit: ERASE_PAGE });
    await Promise.all(
      readers.rows.map(async (row) => {
        await this.store.delete(affinities, { user_id: row.user_id, author_id: userId });
        await this.store.delete(affinityReaders, { author_id: userId, user_id: row.user_id });
      }),
    );
    for (const row of readers.rows) this.indexed.delete(`${row.user_id}:${userId}`);
    return readers.rows.length === 0;
  }
}
