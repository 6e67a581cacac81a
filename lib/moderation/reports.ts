import { BadRequestError, ConflictError, ServiceUnavailableError } from "../errors";
import type { WideRowStore } from "../store/store";
import { slicePage, type Page, type PageRequest } from "../validation/page";
import { type ReportInput, type ReportTarget, type ReportView } from "./params";
import type { AccountReview, ReportTargets, TargetSnapshot } from "./ports";
import {
  caseCounts,
  caseReports,
  OPEN_QUEUE,
  openCaseByTarget,
  openCases,
  reportCases,
  reporterReports,
  reportsReceived,
  SIGNAL_WINDOW_MS,
} from "./tables";
import { outcomeOf, reasonOf, targetKey, targetTypeOf } from "./targets";

/** The most reports of one account read to count its reporters in the window: past it, it is held anyway. */
const SIGNAL_READ_LIMIT = 1_000;

export interface ReportsDeps {
  store: WideRowStore;
  ids: { next(): Promise<string> };
  targets: ReportTargets;
  review: AccountReview;
  /** Distinct reporters of one account within an hour that hold it for review (hidden from discovery). */
  holdThreshold: number;
  now: () => number;
}

/**
 * Filing reports. A report joins its target's open case (opening one if none), once per reporter; the target is
 * found as the reporter sees it, so a report can neither reach nor reveal what the reporter may not see. Each
 * report also counts towards its account's sliding window of reports received, which holds an account reported
 * by enough distinct people for review.
 */
export class Reports {
  constructor(private readonly deps: ReportsDeps) {}

  async file(reporterId: string, input: ReportInput): Promise<ReportView> {
    const target: ReportTarget = {
      type: input.type,
      id: input.id,
      ...(input.conversationId !== undefined && { conversationId: input.conversationId }),
    };
    if (target.type === "account" && target.id === reporterId) throw cannotReportSelf();
    const snapshot = await this.deps.targets.find(reporterId, target);
    if (snapshot.authorId === reporterId) throw cannotReportSelf();
    const { store } = this.deps;
    const reportId = await this.deps.ids.next();
    const now = new Date(this.deps.now());
    // A decision may close the case between finding it and joining it: the report then opens the next one.
    for (let attempt = 0; attempt < 3; attempt++) {
      const caseId = await this.openCase(target, snapshot, now);
      const claim = await store.insertIfAbsent(caseReports, {
        case_id: caseId,
        reporter_id: reporterId,
        report_id: reportId,
        reason: input.reason,
        ...(input.note !== undefined && input.note !== "" && { note: input.note }),
        created_at: now,
      });
      if (!claim.applied) {
        throw new ConflictError("ALREADY_REPORTED", "you reported this already; a moderator will look at it");
      }
      const open = await store.get(reportCases, { case_id: caseId });
      if (open?.status !== "open") {
        await store.deleteIf(caseReports, { case_id: caseId, reporter_id: reporterId });
        continue;
      }
      await store.increment(caseCounts, { case_id: caseId }, { reporters: 1 });
      // Again with every report: a report cut short after opening its case still queues it.
      await store.put(openCases, { queue: OPEN_QUEUE, case_id: caseId });
      await store.put(reporterReports, {
        reporter_id: reporterId,
        report_id: reportId,
        case_id: caseId,
        target_type: target.type,
        target_id: target.id,
        ...(target.conversationId !== undefined && { conversation_id: target.conversationId }),
        reason: input.reason,
        ...(input.note !== undefined && input.note !== "" && { note: input.note }),
        created_at: now,
      });
      await this.signal(snapshot.authorId, reporterId, reportId, now);
      return {
        id: reportId,
        target,
        reason: input.reason,
        note: input.note === undefined || input.note === "" ? null : input.note,
        status: "open",
        outcome: null,
        createdAt: now.toISOString(),
      };
    }
    throw new ServiceUnavailableError("MODERATION_BUSY", "the report's case kept changing; try again");
  }

  /** The reporter's own reports, newest first, each with what became of its case. */
  async mine(reporterId: string, page: PageRequest): Promise<Page<ReportView>> {
    const { store } = this.deps;
    const slice = await slicePage(store, reporterReports, { reporter_id: reporterId }, page);
    const items = await Promise.all(
      slice.rows.map(async (row): Promise<ReportView> => {
        const decided =
          row.case_id === undefined ? undefined : await store.get(reportCases, { case_id: row.case_id });
        const resolved = decided?.status === "resolved";
        return {
          id: row.report_id,
          target: {
            type: targetTypeOf(row.target_type),
            id: row.target_id ?? "",
            ...(row.conversation_id !== undefined && { conversationId: row.conversation_id }),
          },
          reason: reasonOf(row.reason),
          note: row.note ?? null,
          status: resolved ? "resolved" : "open",
          outcome: resolved ? outcomeOf(decided.action) : null,
          createdAt: (row.created_at ?? new Date(0)).toISOString(),
        };
      }),
    );
    return { items, nextCursor: slice.nextPageToken ?? null };
  }

  /** The target's open case, opened now (with the content as the reporter saw it) when there is none. */
  private async openCase(target: ReportTarget, snapshot: TargetSnapshot, now: Date): Promise<string> {
    const { store } = this.deps;
    const key = targetKey(target);
    const found = await store.get(openCaseByTarget, { target_key: key });
    if (found?.case_id !== undefined) return found.case_id;
    const caseId = await this.deps.ids.next();
    // The case row before the claim: a claim always names a case that exists.
    await store.insertIfAbsent(reportCases, {
      case_id: caseId,
      target_type: target.type,
      target_id: target.id,
      ...(target.conversationId !== undefined && { conversation_id: target.conversationId }),
      author_id: snapshot.authorId,
      opened_at: now,
      ...(snapshot.text !== undefined && { content_text: snapshot.text }),
      content_media: JSON.stringify(snapshot.mediaIds),
      status: "open",
    });
    const claim = await store.insertIfAbsent(openCaseByTarget, { target_key: key, case_id: caseId });
    // Another report opened it first: that case is the one (the row written here is never queued).
    if (!claim.applied && claim.existing.case_id !== undefined) return claim.existing.case_id;
    return caseId;
  }

  /** Holds the account for review once enough distinct people reported it within the window. */
  private async signal(authorId: string, reporterId: string, reportId: string, now: Date): Promise<void> {
    const { store } = this.deps;
    await store.put(reportsReceived, {
      user_id: authorId,
      report_id: reportId,
      reporter_id: reporterId,
      created_at: now,
    });
    const since = now.getTime() - SIGNAL_WINDOW_MS;
    const recent = await store.slice(reportsReceived, { user_id: authorId }, { limit: SIGNAL_READ_LIMIT });
    const reporters = new Set(
      recent.rows.filter((row) => (row.created_at?.getTime() ?? 0) > since).map((row) => row.reporter_id),
    );
    if (reporters.size >= this.deps.holdThreshold) await this.deps.review.hold(authorId);
  }
}

function cannotReportSelf(): BadRequestError {
  return new BadRequestError("CANNOT_REPORT_SELF", "one cannot report oneself or one's own content");
}
