import { ConflictError } from "../errors";
import type { WideRowStore } from "../store/store";
import { slicePage, type PageRequest } from "../validation/page";
import { mutedBy, mutes } from "./tables";

/** How many accounts one person mutes: it bounds the partition and the set each feed read keeps of it. */
export const MAX_MUTES = 1_000;

/** A mute in force: whom, and until when (ms; undefined: until undone). */
export interface Mute {
  userId: string;
  until: number | undefined;
}

/**
 * Mutes: one user hides another's posts, stories and notifications from themselves, the other never told (no
 * relationship changes, nothing in their lists). Readers ask `active` once per read (the feed keeps the answer
 * while the muter's graph change count stands: `changed` bumps it) and leave out the muted authors' items
 * without deleting anything, so an unmute, or a mute running out, shows them again.
 */
export class Mutes {
  constructor(
    private readonly store: WideRowStore,
    /** Bumps the muter's graph change count, so that readers keeping their relations learn them again. */
    private readonly changed: (userId: string) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Mutes `mutedId` for `seconds` (none: until unmuted); muting again replaces the duration. */
  async mute(userId: string, mutedId: string, seconds?: number): Promise<Mute> {
    const existing = await this.store.get(mutes, { user_id: userId, muted_id: mutedId });
    if (existing === undefined) {
      const listed = await this.store.slice(mutes, { user_id: userId }, { limit: MAX_MUTES });
      if (listed.rows.filter((row) => this.live(row.until)).length >= MAX_MUTES) {
        throw new ConflictError("MUTES_FULL", `one may mute at most ${MAX_MUTES} accounts`);
      }
    }
    const now = this.now();
    const until = seconds === undefined ? undefined : now + seconds * 1000;
    // A mute without end overwrites a timed one whole: its row must lose the old TTL and `until`.
    if (existing !== undefined) await this.store.delete(mutes, { user_id: userId, muted_id: mutedId });
    // Kept whatever the mute's length: a lapsed mute's reverse row costs an erasure one no-op delete.
    await this.store.put(mutedBy, { user_id: mutedId, muter_id: userId });
    await this.store.put(
      mutes,
      {
        user_id: userId,
        muted_id: mutedId,
        since: new Date(now),
        ...(until !== undefined && { until: new Date(until) }),
      },
      { ttlSeconds: seconds ?? 0 },
    );
    await this.changed(userId);
    return { userId: mutedId, until };
  }

  async unmute(userId: string, mutedId: string): Promise<void> {
    await this.store.delete(mutes, { user_id: userId, muted_id: mutedId });
    await this.store.delete(mutedBy, { user_id: mutedId, muter_id: userId });
    await this.changed(userId);
  }

  /** The mute of `mutedId` by `userId`, if one is in force. */
  async of(userId: string, mutedId: string): Promise<Mute | undefined> {
    const row = await this.store.get(mutes, { user_id: userId, muted_id: mutedId });
    if (row === undefined || !this.live(row.until)) return undefined;
    return { userId: mutedId, until: row.until?.getTime() };
  }

  /** The mutes in force a page at a time, in the order accounts were made. */
  async page(userId: string, page: PageRequest): Promise<{ items: Mute[]; nextCursor: string | null }> {
    const slice = await slicePage(this.store, mutes, { user_id: userId }, page);
    return {
      items: slice.rows
        .filter((row) => this.live(row.until))
        .map((row) => ({ userId: row.muted_id, until: row.until?.getTime() })),
      nextCursor: slice.nextPageToken ?? null,
    };
  }

  /** Every mute in force (bounded by MAX_MUTES): muted id → until (ms; undefined: until undone). */
  async active(userId: string): Promise<Map<string, number | undefined>> {
    const slice = await this.store.slice(mutes, { user_id: userId }, { limit: MAX_MUTES });
    return new Map(
      slice.rows.filter((row) => this.live(row.until)).map((row) => [row.muted_id, row.until?.getTime()]),
    );
  }

  /** The store's TTL ends a timed mute, but its clock may not be ours: the end is checked on every read too. */
  private live(until: Date | undefined): boolean {
    return inForce(until?.getTime(), this.now());
  }
}

/** Whether a mute kept from an earlier read is still in force at `now`. */
export function inForce(until: number | undefined, now: number): boolean {
  return until === undefined || until > now;
}
