import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api/client";
import type { ExportView } from "../../../lib/export/params";
import { ErrorBanner } from "../components/error-banner";

/** While an archive is being made, its progress is asked for this often. */
const POLL_MS = 2_000;

/** "Download your data": ask for an archive, watch it being made, download it for seven days. */
export function DataExport() {
  // undefined: not loaded yet; null: never asked for.
  const [current, setCurrent] = useState<ExportView | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const working = current?.state === "queued" || current?.state === "running";

  useEffect(() => {
    const abort = new AbortController();
    api<ExportView>("GET", "/me/export", { signal: abort.signal }).then(
      (answer) => {
        setCurrent(answer);
        setError(null);
      },
      (err: unknown) => {
        if (abort.signal.aborted) return;
        if (err instanceof ApiError && err.status === 404) setCurrent(null);
        else setError(err);
      },
    );
    return () => abort.abort();
  }, [attempt]);

  // While one is under way, look again every POLL_MS.
  useEffect(() => {
    if (!working) return;
    const timer = setInterval(() => setAttempt((n) => n + 1), POLL_MS);
    return () => clearInterval(timer);
  }, [working]);

  const start = async () => {
    setBusy(true);
    setError(null);
    setNotice("");
    try {
      setCurrent(await api<ExportView>("POST", "/me/export"));
    } catch (err) {
      if (err instanceof ApiError && err.code === "EXPORT_IN_PROGRESS") {
        setNotice("An archive is already being made: it shows up here when it is ready.");
        setAttempt((n) => n + 1);
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="card stack" aria-busy={working}>
      <h2>Download your data</h2>
      <p class="muted">
        An archive (zip) of your profile, posts with their original photos and videos, comments, likes,
        follows, messages and live stories. It can be downloaded for seven days.
      </p>
      {working && current && (
        <div class="stack">
          <p role="status">
            {current.state === "queued" ? "Waiting to start…" : "Making your archive…"}{" "}
            {current.progress.total > 0 &&
              `${current.progress.done} of ${current.progress.total} items so far`}
          </p>
          <progress
            max={Math.max(1, current.progress.total)}
            value={current.progress.done}
            aria-label="Archive progress"
          />
        </div>
      )}
      {current?.state === "ready" && current.url && (
        <p role="status">
          <a href={current.url} download>
            Download your archive{current.size !== undefined && ` (${formatSize(current.size)})`}
          </a>
          {current.expiresAt && (
            <span class="muted hint"> · until {new Date(current.expiresAt).toLocaleDateString()}</span>
          )}
        </p>
      )}
      {current?.state === "failed" && (
        <p role="status">Your last archive could not be made. Please ask for a new one.</p>
      )}
      {notice !== "" && <p role="status">{notice}</p>}
      <ErrorBanner error={error} />
      {!working && current !== undefined && (
        <div class="row">
          <button type="button" class="secondary" disabled={busy} onClick={() => void start()}>
            {current?.state === "ready" ? "Make a new archive" : "Request an archive"}
          </button>
        </div>
      )}
    </div>
  );
}

function formatSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
