import type { WideRowStore } from "../store/store";
import { DUE_QUEUE, erasuresDue } from "./tables";

/**
 * The line of deleted accounts waiting for their erasure (erasuresDue). A row only says "look at this account
 * then": the sweep erases it only if its account row still says it is deleted and past its grace, so a row left
 * behind by a crash or by the owner taking the account back is dropped, never acted on.
 */
export class ErasureSchedule {
  constructor(
    private readonly store: WideRowStore,
    private readonly now: () => number,
  ) {}

  async schedule(userId: string, eraseAfter: Date): Promise<void> {
    await this.store.put(erasuresDue, { queue: DUE_QUEUE, erase_after: eraseAfter, user_id: userId });
  }

  async unschedule(userId: string, eraseAfter: Date): Promise<void> {
    await this.store.delete(erasuresDue, { queue: DUE_QUEUE, erase_after: eraseAfter, user_id: userId });
  }

  /** Accounts whose grace period is over, soonest first. */
  async due(limit: number): Promise<{ userId: string; eraseAfter: Date }[]> {
    const slice = await this.store.slice(
      erasuresDue,
      { queue: DUE_QUEUE },
      { lte: { erase_after: new Date(this.now()) }, limit },
    );
    return slice.rows.map((row) => ({ userId: row.user_id, eraseAfter: row.erase_after }));
  }
}
