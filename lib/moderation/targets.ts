import {
  REPORT_REASONS,
  REPORT_TARGETS,
  type ReportOutcome,
  type ReportReason,
  type ReportTarget,
  type ReportTargetType,
} from "./params";

/** How a target is named in the tables that key by it: `post:<id>`, `message:<conversation>:<id>`, ... */
export function targetKey(target: ReportTarget): string {
  return target.type === "message"
    ? `message:${target.conversationId ?? ""}:${target.id}`
    : `${target.type}:${target.id}`;
}

/** The JSON list of media ids a case keeps; anything else reads as none. */
export function parseMediaIds(text: string | undefined): string[] {
  if (text === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

/** A stored target type; a value no release wrote reads as a post. */
export function targetTypeOf(text: string | undefined): ReportTargetType {
  return REPORT_TARGETS.find((type) => type === text) ?? "post";
}

/** A stored reason; a value no release wrote reads as "other". */
export function reasonOf(text: string | undefined): ReportReason {
  return REPORT_REASONS.find((reason) => reason === text) ?? "other";
}

/** What reporters are told of a decision (`dismiss`, `remove`, `suspend`, as stored or asked). */
export function outcomeOf(action: string | undefined): ReportOutcome {
  return action === "remove" ? "removed" : action === "suspend" ? "suspended" : "dismissed";
}
