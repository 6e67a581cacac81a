import { useState } from "preact/hooks";
import { api, page } from "../api/client";
import type { MutedUserView } from "../api/types";
import { ErrorBanner } from "../components/error-banner";
import { PagedFooter, usePaged } from "../components/paged-list";
import { UserRow } from "../components/user-row";
import "../styles/people.css";

/** The accounts one mutes, each with when the mute ends and a way to end it now. */
export function MutedScreen() {
  const paged = usePaged<MutedUserView>((cursor) => page<MutedUserView>("/me/mutes", cursor, 50), []);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const unmute = async (muted: MutedUserView) => {
    const { user } = muted;
    setBusy(user.id);
    setError(null);
    try {
      await api("DELETE", `/users/${encodeURIComponent(user.username)}/mute`);
      paged.setItems((items) => items.filter((m) => m.user.id !== user.id));
      setStatus(`Unmuted ${user.username}.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="muted-accounts">
      <h1>Muted accounts</h1>
      <p class="muted">
        Their posts and stories stay out of your feed, and they notify you of nothing. They are not told.
      </p>
      <p role="status">{status}</p>
      <ErrorBanner error={error} />
      <ul class="user-list">
        {paged.items.map((muted) => (
          <UserRow key={muted.user.id} user={muted.user}>
            <span class="muted hint">
              {muted.until ? `until ${new Date(muted.until).toLocaleString()}` : "until you unmute"}
            </span>
            <button
              type="button"
              class="secondary"
              aria-label={`Unmute ${muted.user.username}`}
              disabled={busy === muted.user.id}
              onClick={() => void unmute(muted)}
            >
              Unmute
            </button>
          </UserRow>
        ))}
      </ul>
      <PagedFooter state={paged} empty="You mute nobody." />
    </section>
  );
}
