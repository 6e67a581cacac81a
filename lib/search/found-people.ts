import type { PublicProfile } from "../accounts";
import { LruMap } from "../concurrency/lru-map";

/** How long a found person's public profile is reused: names, avatar and counts may lag by as much. */
const TTL_MS = 3_000;
const MAX_PEOPLE = 10_000;

interface Kept {
  at: number;
  profile: Promise<PublicProfile | undefined>;
}

/**
 * The public profiles of people search finds, shared by every caller on this node for a few seconds, as feed
 * pages share their authors' (lib/timeline/author-views.ts): the same names come up for many callers, and a
 * search answer needs only what anyone may see plus the caller's relationship, which the caller's kept edges
 * answer. A suspension, a deletion or a hold for review is told at once (`forget`, on
 * `accounts.standing-changed`), so only names, avatars and counts lag.
 */
export class FoundPeople {
  private readonly kept: LruMap<string, Kept>;
  private readonly now: () => number;
  private readonly ttlMs: number;

  constructor(
    private readonly load: (userId: string) => Promise<PublicProfile | undefined>,
    options: { now?: () => number; ttlMs?: number; max?: number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.ttlMs = options.ttlMs ?? TTL_MS;
    this.kept = new LruMap(options.max ?? MAX_PEOPLE);
  }

  /** One load per person at a time: the callers arriving meanwhile share it; a failed load is not kept. */
  of(userId: string): Promise<PublicProfile | undefined> {
    const now = this.now();
    const kept = this.kept.peek(userId);
    if (kept !== undefined && now - kept.at <= this.ttlMs) return kept.profile;
    const entry: Kept = { at: now, profile: this.load(userId) };
    this.kept.set(userId, entry);
    entry.profile.catch(() => {
      if (this.kept.peek(userId) === entry) this.kept.delete(userId);
    });
    return entry.profile;
  }

  forget(userId: string): void {
    this.kept.delete(userId);
  }
}
