import { useState } from "preact/hooks";
import { api, page } from "../api/client";
import { session } from "../api/session";
import type { ModerationAction, ReportCaseView, ReportReason } from "../api/types";
import { ErrorBanner } from "../components/error-banner";
import { PagedFooter, usePaged } from "../components/paged-list";
import { REASON_LABELS } from "../components/report-dialog";
import { TimeAgo } from "../components/time";
import { Link } from "../router";
import { plural } from "../text";
import "../styles/posts.css";

/** How long a suspension lasts, as moderators usually choose it. */
const SUSPENSIONS: readonly [label: string, hours: number | undefined][] = [
  ["for 1 day", 24],
  ["for 7 days", 7 * 24],
  ["for 30 days", 30 * 24],
  ["for good", undefined],
];

/** The moderation queue for moderators and admins: open cases, oldest first, each decided here. */
export function ModerationScreen() {
  const role = session.value?.me.role;
  const paged = usePaged<ReportCaseView>((cursor) => page<ReportCaseView>("/admin/reports", cursor, 20), []);
  if (role === undefined) {
    return (
      <section class="moderation">
        <h1>Moderation</h1>
        <p>Only moderators and admins see the moderation queue.</p>
      </section>
    );
  }
  return (
    <section class="moderation">
      <h1>Moderation</h1>
      <p class="muted">
        Open reports, oldest first: one case per reported thing, with everyone who reported it. Each decision
        is recorded with your name and reason, and every reporter is told the outcome.
      </p>
      <ul class="moderation-cases stack">
        {paged.items.map((c) => (
          <CaseItem
            key={c.id}
            report={c}
            onDecided={(id) => paged.setItems((items) => items.filter((item) => item.id !== id))}
          />
        ))}
      </ul>
      <PagedFooter state={paged} empty="Nothing to review. The queue is empty." />
    </section>
  );
}

function CaseItem(props: { report: ReportCaseView; onDecided: (id: string) => void }) {
  const { report } = props;
  const [action, setAction] = useState<ModerationAction>("dismiss");
  const [reason, setReason] = useState("");
  const [hours, setHours] = useState<number | undefined>(24);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const { target, author } = report;
  const href =
    target.type === "post"
      ? `/p/${target.id}`
      : target.type === "account" && author
        ? `/u/${author.username}`
        : undefined;

  const decide = async (event: SubmitEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api("POST", `/admin/reports/${report.id}/resolve`, {
        body: {
          action,
          reason: reason.trim(),
          ...(action === "suspend" &&
            hours !== undefined && { until: new Date(Date.now() + hours * 3600_000).toISOString() }),
        },
      });
      props.onDecided(report.id);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const reasons = Object.entries(report.reasons)
    .map(([key, count]) => `${REASON_LABELS[key as ReportReason] ?? key} (${count})`)
    .join(", ");
  return (
    <li class="moderation-case card stack" aria-label={`Report case ${report.id}`}>
      <p>
        <strong>
          A {target.type}
          {author ? ` by ${author.username}` : ""}
        </strong>{" "}
        · {plural(report.reporters, "reporter")} · opened <TimeAgo iso={report.openedAt} />
        {href && (
          <>
            {" "}
            · <Link href={href}>Open</Link>
          </>
        )}
      </p>
      <p class="muted">Reasons: {reasons}</p>
      {report.content.text !== null && (
        <blockquote class="moderation-content">{report.content.text}</blockquote>
      )}
      {report.content.mediaIds.length > 0 && (
        <p class="muted">{plural(report.content.mediaIds.length, "photo or video", "photos or videos")}</p>
      )}
      <form class="stack" onSubmit={(e) => void decide(e)}>
        <fieldset class="row">
          <legend>Decision</legend>
          {(["dismiss", "remove", "suspend"] as const)
            .filter((a) => !(a === "remove" && target.type === "account"))
            .map((a) => (
              <label key={a} class="row">
                <input
                  type="radio"
                  name={`action-${report.id}`}
                  checked={action === a}
                  onChange={() => setAction(a)}
                />
                {a === "dismiss"
                  ? "Dismiss"
                  : a === "remove"
                    ? `Remove the ${target.type}`
                    : "Suspend the author"}
              </label>
            ))}
        </fieldset>
        {action === "suspend" && (
          <label>
            Suspend
            <select
              value={hours === undefined ? "forever" : String(hours)}
              onChange={(e) =>
                setHours(e.currentTarget.value === "forever" ? undefined : Number(e.currentTarget.value))
              }
            >
              {SUSPENSIONS.map(([label, h]) => (
                <option key={label} value={h === undefined ? "forever" : String(h)}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Reason (kept with the decision)
          <input value={reason} maxLength={500} required onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
        <ErrorBanner error={error} />
        <div class="row">
          <button type="submit" disabled={busy || reason.trim() === ""}>
            Decide
          </button>
        </div>
      </form>
    </li>
  );
}
