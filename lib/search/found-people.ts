import type { PublicProfile } from "../accounts";
import { KeptLoads } from "../concurrency/kept-loads";

/** How long a found person's public profile is reused: names, avatar and counts may lag by as much. */
const TTL_MS = 3_000;
const MAX_PEOPLE = 10_000;

/**
 * The public profiles of people search finds, shared by every caller on this node for a few seconds, as feed
 * pages share their authors' (lib/timeline/author-views.ts): the same names come up for many callers, and a
 * search answer needs only what anyone may see plus the caller's relationship, which the caller's kept edges
 * answer. A suspension, a deletion or a hold for review is told at once (`forget`, on
 * `accounts.standing-changed`), so only names, avatars and counts lag.
 */
export class FoundPeople {
  private readonly kept: KeptLoads<PublicProfile | undefined>;

  constructor(
    private readonly load: (userId: string) => Promise<PublicProfile | undefined>,
    options: { now?: () => number; ttlMs?: number; max?: number } = {},
  ) {
    this.kept = new KeptLoads({
      ttlMs: options.ttlMs ?? TTL_MS,
      max: options.max ?? MAX_PEOPLE,
      ...(options.now && { now: options.now }),
    });
  }

  /** One load per person at a time: the callers arriving meanwhile share it; a failed load is not kept. */
  of(userId: string): Promise<PublicProfile | undefined> {
    return this.kept.of(userId, () => this.load(userId)).value;
  }

  forget(userId: string): void {
    this.kept.forget(userId);
  }
}
