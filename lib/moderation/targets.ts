import type { ReportTarget } from "./params";

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
