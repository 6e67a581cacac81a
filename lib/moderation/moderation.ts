import { BadRequestError, ConflictError, NotFoundError } from "../errors";
import type { Authority } from "../admin/authority";
import type { Row } from "../store/schema";
import type { WideRowStore } from "../store/store";
import { slicePage, type Page, type PageRequest } from "../validation/page";
import {
  type ModerationAction,
  type ReportCaseDetail,
  type ReportCaseView,
  type ReportTarget,
  type ResolveInput,
} from "./params";
import type { AccountReview, ReportNotifier, ReportTargets } from "./ports";
import {
  caseCounts,
  caseReports,
  OPEN_QUEUE,
  openCaseByTarget,
  openCases,
  removedContent,
  reportCases,
} from "./tables";
import { outcomeOf, parseMediaIds, reasonOf, targetKey, targetTypeOf } from "./targets";

/** Reports read per case to show its reasons and reporters. */
const REPORTS_SHOWN = 100;

export interface ModerationDeps {
  store: WideRowStore;
  targets: ReportTargets;
  review: AccountReview;
  notifier: ReportNotifier;
  /** Suspends an account (audited, signed out everywhere, hidden): the admin API's own suspension. */
  suspend(by: Authority, userId: string, until: Date | undefined, reason: string): Promise<void>;
  /** Records a decision in the operators' audit log before it acts, and its outcome after. */
  audited<T>(
    by: Authority,
    command: string,
    target: string,
    params: unknown,
    run: () => Promise<T>,
  ): Promise<T>;
  now: () => number;
}

/**
 * The moderation queue and its decisions. A decision claims its case (open → resolving) so that two moderators
 * never both decide, acts (each action is safe to run twice), tells every reporter, and only then closes the
 * case: a decision cut short leaves it `resolving` in the queue, and deciding it again completes it.
 */
export class Moderation {
  constructor(private readonly deps: ModerationDeps) {}

  /** Open cases, oldest first. */
  async queue(page: PageRequest): Promise<Page<ReportCaseView>> {
    const slice = await slicePage(this.deps.store, openCases, { queue: OPEN_QUEUE }, page);
    const views = await Promise.all(
      slice.rows.map(async (row) => {
        const found = await this.deps.store.get(reportCases, { case_id: row.case_id });
        if (found === undefined || found.status === "resolved") {
          // Queued again by a report racing its decision: it leaves the queue here.
          if (found?.status === "resolved") {
            await this.deps.store.delete(openCases, { queue: OPEN_QUEUE, case_id: row.case_id });
          }
          return undefined;
        }
        return this.view(found);
      }),
    );
    return {
      items: views.filter((v): v is ReportCaseView => v !== undefined),
      nextCursor: slice.nextPageToken ?? null,
    };
  }

  async detail(caseId: string): Promise<ReportCaseDetail> {
    const row = await this.find(caseId);
    const [view, reports] = await Promise.all([this.view(row), this.reportsOf(caseId)]);
    const reporters = await Promise.all(
      reports.map(async (r) => ({
        reporter: { id: r.reporter_id, username: (await this.deps.review.usernameOf(r.reporter_id)) ?? "" },
        reason: reasonOf(r.reason),
        note: r.note ?? null,
        createdAt: (r.created_at ?? new Date(0)).toISOString(),
      })),
    );
    reporters.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return { ...view, reports: reporters };
  }

  async resolve(by: Authority, input: ResolveInput): Promise<ReportCaseView> {
    const { store } = this.deps;
    const row = await this.find(input.id);
    if (row.status === "resolved") {
      throw new ConflictError("REPORT_RESOLVED", "this case was decided already");
    }
    const target = targetOf(row);
    if (input.action === "remove" && target.type === "account") {
      throw new BadRequestError("VALIDATION_FAILED", "an account is suspended, not removed", {
        fields: { action: "an account is suspended, not removed" },
      });
    }
    const until = input.until === undefined ? undefined : new Date(input.until);
    if (until !== undefined && until.getTime() <= this.deps.now()) {
      throw new BadRequestError("VALIDATION_FAILED", "until must be in the future", {
        fields: { until: "must be in the future" },
      });
    }
    const resolution = {
      action: input.action,
      resolution_reason: input.reason,
      ...(by.kind !== "console" && { resolved_by: by.userId }),
      resolved_at: new Date(this.deps.now()),
      ...(until !== undefined && { suspended_until: until }),
    };
    // Claimed by one decision only; a decision cut short (still `resolving`) may be taken over and completed.
    const claimed = await store.updateIf(
      reportCases,
      { case_id: row.case_id, status: "resolving", ...resolution },
      { status: row.status ?? "open" },
    );
    if (!claimed) throw new ConflictError("REPORT_RESOLVED", "this case was decided already");
    const authorId = row.author_id ?? "";
    await this.deps.audited(by, `report-${input.action}`, targetKey(target), input, async () => {
      if (input.action === "remove") {
        // Said first, so that whatever still points at it shows "removed" even if the removal is cut short.
        await store.put(removedContent, {
          target_key: targetKey(target),
          case_id: row.case_id,
          removed_at: new Date(this.deps.now()),
        });
        await this.deps.targets.remove(target);
      } else if (input.action === "suspend") {
        await this.deps.suspend(by, authorId, until, input.reason);
      }
      // Reviewed: whatever the decision, the account is no longer held out of discovery for its reports.
      await this.deps.review.release(authorId);
      await this.eachReporter(row.case_id, (reporterId) =>
        this.deps.notifier.resolved(reporterId, row.case_id, outcomeOf(input.action), target),
      );
    });
    await store.updateIf(reportCases, { case_id: row.case_id, status: "resolved" }, { status: "resolving" });
    await store.deleteIf(openCaseByTarget, { target_key: targetKey(target) }, { case_id: row.case_id });
    await store.delete(openCases, { queue: OPEN_QUEUE, case_id: row.case_id });
    return this.view(await this.find(row.case_id));
  }

  private async find(caseId: string): Promise<Row<typeof reportCases>> {
    const row = await this.deps.store.get(reportCases, { case_id: caseId });
    if (row === undefined) throw new NotFoundError("REPORT_NOT_FOUND", "no such report case");
    return row;
  }

  private async reportsOf(caseId: string): Promise<Row<typeof caseReports>[]> {
    return (await this.deps.store.slice(caseReports, { case_id: caseId }, { limit: REPORTS_SHOWN })).rows;
  }

  private async eachReporter(caseId: string, tell: (reporterId: string) => Promise<void>): Promise<void> {
    let pageToken: string | undefined;
    do {
      const page = await this.deps.store.slice(caseReports, { case_id: caseId }, { limit: 500, pageToken });
      for (const row of page.rows) await tell(row.reporter_id);
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  private async view(row: Row<typeof reportCases>): Promise<ReportCaseView> {
    const [counts, reports, author, decider] = await Promise.all([
      this.deps.store.get(caseCounts, { case_id: row.case_id }),
      this.reportsOf(row.case_id),
      row.author_id === undefined ? undefined : this.deps.review.usernameOf(row.author_id),
      row.resolved_by === undefined ? undefined : this.deps.review.usernameOf(row.resolved_by),
    ]);
    const reasons: Record<string, number> = {};
    for (const report of reports) {
      const reason = reasonOf(report.reason);
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    }
    const decided = row.status === "resolved" && row.action !== undefined;
    return {
      id: row.case_id,
      target: targetOf(row),
      author: row.author_id === undefined ? null : { id: row.author_id, username: author ?? "" },
      status: row.status === "resolved" ? "resolved" : "open",
      reporters: Math.max(counts?.reporters ?? 0, reports.length),
      reasons,
      openedAt: (row.opened_at ?? new Date(0)).toISOString(),
      content: { text: row.content_text ?? null, mediaIds: parseMediaIds(row.content_media) },
      resolution: decided
        ? {
            action: actionOf(row.action),
            reason: row.resolution_reason ?? "",
            by: row.resolved_by === undefined ? null : { id: row.resolved_by, username: decider ?? "" },
            at: (row.resolved_at ?? new Date(0)).toISOString(),
            until:
              row.action === "suspend" && row.suspended_until !== undefined
                ? row.suspended_until.toISOString()
                : null,
          }
        : null,
    };
  }
}

function targetOf(row: Row<typeof reportCases>): ReportTarget {
  return {
    type: targetTypeOf(row.target_type),
    id: row.target_id ?? "",
    ...(row.conversation_id !== undefined && { conversationId: row.conversation_id }),
  };
}

function actionOf(text: string | undefined): ModerationAction {
  return text === "remove" || text === "suspend" ? text : "dismiss";
}
