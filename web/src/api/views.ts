import { session } from "./session";

/** How often what was seen is reported: views are counted as sums anyway, a few seconds late is fine. */
const REPORT_EVERY_MS = 3_000;
/** The API's most ids per report (lib/views/params.ts). */
const MAX_PER_REPORT = 100;

type Kind = "view" | "play";

const reported: Record<Kind, Set<string>> = { view: new Set(), play: new Set() };
const waiting: Record<Kind, Set<string>> = { view: new Set(), play: new Set() };
let timer: ReturnType<typeof setTimeout> | undefined;

/**
 * A post was shown to the person (or its video played): reported in a batch a few seconds later, each once per
 * page load (the server counts one per person, post and day).
 */
export function reportSeen(postId: string, kind: Kind = "view"): void {
  if (reported[kind].has(postId)) return;
  reported[kind].add(postId);
  waiting[kind].add(postId);
  timer ??= setTimeout(() => void send(), REPORT_EVERY_MS);
}

/** Sends what waits; `keepalive` lets the last report outlive a page being closed. */
async function send(keepalive = false): Promise<void> {
  timer = undefined;
  const token = session.value?.token;
  for (const kind of ["view", "play"] as const) {
    const ids = [...waiting[kind]];
    waiting[kind].clear();
    if (!token) continue;
    for (let i = 0; i < ids.length; i += MAX_PER_REPORT) {
      // A lost report is a few uncounted views: nothing to show the person, nothing to retry.
      await fetch("/api/posts/views", {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ ids: ids.slice(i, i + MAX_PER_REPORT), kind }),
        keepalive,
      }).catch(() => undefined);
    }
  }
}

if (typeof document !== "undefined") {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") void send(true);
  });
}
