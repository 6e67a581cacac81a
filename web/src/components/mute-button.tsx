import { useEffect, useState } from "preact/hooks";
import { api } from "../api/client";
import type { MuteView, UserView } from "../api/types";
import { ErrorBanner } from "./error-banner";

/** Mute choices, as Instagram and Mastodon offer them: for a while, or until undone. */
const DURATIONS: readonly [label: string, seconds: number | undefined][] = [
  ["Mute for 24 hours", 24 * 3600],
  ["Mute for 7 days", 7 * 24 * 3600],
  ["Mute until I unmute", undefined],
];

/**
 * Mute or unmute someone: their posts and stories leave your feed, reels and explore, and they notify you of
 * nothing. They are not told, and their profile stays open to you.
 */
export function MuteButton(props: { user: UserView }) {
  const path = `/users/${encodeURIComponent(props.user.username)}/mute`;
  const [mute, setMute] = useState<MuteView | null>(null);
  const [choosing, setChoosing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    setMute(null);
    api<MuteView>("GET", path).then(setMute, () => setMute(null));
  }, [path]);

  const run = async (request: () => Promise<MuteView>) => {
    setBusy(true);
    setError(null);
    try {
      setMute(await request());
      setChoosing(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (mute === null) return null;
  if (mute.muting) {
    return (
      <>
        <button
          type="button"
          class="secondary"
          disabled={busy}
          onClick={() => void run(() => api("DELETE", path))}
        >
          Unmute
        </button>
        <span class="muted hint">
          Muted{mute.until ? ` until ${new Date(mute.until).toLocaleString()}` : ""}
        </span>
        <ErrorBanner error={error} />
      </>
    );
  }
  return (
    <>
      <button
        type="button"
        class="secondary"
        aria-expanded={choosing}
        disabled={busy}
        onClick={() => setChoosing(!choosing)}
      >
        Mute
      </button>
      {choosing && (
        <div class="mute-choices" role="group" aria-label={`Mute ${props.user.username}`}>
          {DURATIONS.map(([label, seconds]) => (
            <button
              key={label}
              type="button"
              class="secondary"
              disabled={busy}
              onClick={() =>
                void run(() => api("POST", path, { body: seconds === undefined ? {} : { seconds } }))
              }
            >
              {label}
            </button>
          ))}
        </div>
      )}
      <ErrorBanner error={error} />
    </>
  );
}
