import type { WideRowStore } from "../store/store";
import { caseCounts, caseReports, reporterReports, reportsReceived } from "./tables";

/**
 * An account's erasure from moderation: the reports it filed leave their cases (the cases stay, with their other
 * reporters), and the signals about it go. The cases about its content stay as the moderators' record of what
 * they decided and why, like the audit log: kept for the moderation's own accountability, not shown to anyone else.
 */
export class ModerationErasure {
  constructor(private readonly store: WideRowStore) {}

  /** One page; true once nothing the account filed is left. */
  async erase(userId: string): Promise<boolean> {
    const { store } = this;
    const filed = await store.slice(reporterReports, { reporter_id: userId }, { limit: 200 });
    for (const row of filed.rows) {
      if (row.case_id !== undefined) {
        const removed = await store.deleteIf(caseReports, { case_id: row.case_id, reporter_id: userId });
        if (removed) await store.increment(caseCounts, { case_id: row.case_id }, { reporters: -1 });
      }
      await store.delete(reporterReports, { reporter_id: userId, report_id: row.report_id });
    }
    if (filed.rows.length > 0) return false;
    await store.deletePartition(reportsReceived, { user_id: userId });
    return true;
  }
}
