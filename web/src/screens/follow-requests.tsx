import { useRef, useState } from "preact/hooks";
import { api, page } from "../api/client";
import type { UserView } from "../api/types";
import { ErrorBanner } from "../components/error-banner";
import { PagedFooter, usePaged } from "../components/paged-list";
import { UserRow } from "../components/user-row";
import "../styles/people.css";

/** People who asked to follow the caller's (private) account: approve or reject each. */
export function FollowRequestsScreen() {
  const paged = usePaged<UserView>((cursor) => page<UserView>("/follow-requests", cursor), []);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const root = useRef<HTMLElement>(null);

  const answer = async (user: UserView, verb: "approve" | "reject") => {
    setBusy(user.id);
    setError(null);
    try {
      await api("POST", `/follow-requests/${encodeURIComponent(user.username)}/${verb}`);
      paged.setItems((items) => items.filter((u) => u.id !== user.id));
      // The row and its focused button are gone: keep keyboard focus in the list (next request, or the title).
      requestAnimationFrame(() => {
        const el = root.current;
        (
          el?.querySelector<HTMLElement>(".user-list button") ?? el?.querySelector<HTMLElement>("h1")
        )?.focus();
      });
      setStatus(
        verb === "approve"
          ? `Approved ${user.username}: they now follow you.`
          : `Rejected ${user.username}’s request.`,
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="follow-requests" ref={root}>
      <h1 tabIndex={-1}>Follow requests</h1>
      {/* Present from the start, so screen readers announce each change of it. */}
      <p role="status" class="follow-requests-status">
        {status}
      </p>
      <ErrorBanner error={error} />
      <ul class="user-list">
        {paged.items.map((user) => (
          <UserRow key={user.id} user={user}>
            <button
              type="button"
              aria-label={`Approve ${user.username}`}
              disabled={busy === user.id}
              onClick={() => void answer(user, "approve")}
            >
              Approve
            </button>
            <button
              type="button"
              class="secondary"
              aria-label={`Reject ${user.username}`}
              disabled={busy === user.id}
              onClick={() => void answer(user, "reject")}
            >
              Reject
            </button>
          </UserRow>
        ))}
      </ul>
      <PagedFooter state={paged} empty="No pending follow requests." />
    </section>
  );
}
