import type { ReportOutcome, ReportTarget } from "./params";

/** What the reporter could see of a target, kept with its case as the evidence a moderator reads. */
export interface TargetSnapshot {
  authorId: string;
  text?: string;
  mediaIds: readonly string[];
}

/**
 * The services that own what can be reported, as moderation reaches them: each finds its content as the
 * reporter sees it (NotFoundError when they may not: a report never reveals what is hidden), and removes it.
 */
export interface ReportTargets {
  find(reporterId: string, target: ReportTarget): Promise<TargetSnapshot>;
  /** Removes the content for everyone: its rows, its listings and its media. Safe to run twice. */
  remove(target: ReportTarget): Promise<void>;
}

/** What moderation asks of the accounts: hiding an account reported by many until a moderator looks. */
export interface AccountReview {
  hold(userId: string): Promise<void>;
  release(userId: string): Promise<void>;
  usernameOf(userId: string): Promise<string | undefined>;
}

/** Tells a reporter how their report ended. */
export interface ReportNotifier {
  resolved(reporterId: string, caseId: string, outcome: ReportOutcome, target: ReportTarget): Promise<void>;
}
