import type { WideRowStore } from "../store/store";
import { heldForReview, hiddenFromEveryone } from "./standing";
import { users } from "./tables";

/**
 * Whose activity discovery leaves out, read from the accounts' rows once per round for the round's authors:
 * suspended accounts, and accounts held for review after many reports, count nowhere (explore, trending, search);
 * a new account counts for trending only after its first day.
 */
export class DiscoveryStanding {
  constructor(
    private readonly store: WideRowStore,
    private readonly now: () => number = Date.now,
    /** How long a new account's posts carry no trending weight, so fresh accounts cannot push a tag. */
    private readonly newAccountMs = 24 * 3600_000,
  ) {}

  async excluded(userIds: readonly string[]): Promise<ReadonlySet<string>> {
    const rows = await this.rows(userIds);
    const now = this.now();
    return new Set(
      rows
        .filter(([, row]) => row !== undefined && (hiddenFromEveryone(row, now) || heldForReview(row)))
        .map(([id]) => id),
    );
  }

  /** Held for review: hidden from discovery, shown everywhere else. */
  async held(userIds: readonly string[]): Promise<ReadonlySet<string>> {
    const rows = await this.rows(userIds);
    return new Set(rows.filter(([, row]) => row !== undefined && heldForReview(row)).map(([id]) => id));
  }

  /** When each account's activity starts to carry trending weight: `newAccountMs` after it was made. */
  async countsFrom(userIds: readonly string[]): Promise<ReadonlyMap<string, number>> {
    if (this.newAccountMs === 0) return new Map();
    const rows = await this.rows(userIds);
    return new Map(rows.map(([id, row]) => [id, (row?.created_at?.getTime() ?? 0) + this.newAccountMs]));
  }

  private async rows(userIds: readonly string[]) {
    const ids = [...new Set(userIds)];
    const rows = await Promise.all(ids.map((id) => this.store.get(users, { user_id: id })));
    return ids.map((id, i) => [id, rows[i]] as const);
  }
}
