import { useState } from "preact/hooks";
import { api, page } from "../api/client";
import type { UserView } from "../api/types";
import { ErrorBanner } from "../components/error-banner";
import { PagedFooter, usePaged } from "../components/paged-list";
import { UserRow } from "../components/user-row";
import "../styles/people.css";

/**
 * The caller's close friends: the people who see what they share with "Close friends only". Adding takes a
 * username (as Instagram's list lets one search for anyone); nobody is told they were added or taken off.
 */
export function CloseFriendsScreen() {
  const paged = usePaged<UserView>((cursor) => page<UserView>("/me/close-friends", cursor, 50), []);
  const [name, setName] = useState("");
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const add = async (event: SubmitEvent) => {
    event.preventDefault();
    const username = name.trim().replace(/^@/, "");
    if (!username || busy) return;
    setBusy("add");
    setError(null);
    try {
      await api("PUT", `/me/close-friends/${encodeURIComponent(username)}`);
      setName("");
      setStatus(`Added ${username} to your close friends.`);
      paged.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const remove = async (user: UserView) => {
    setBusy(user.id);
    setError(null);
    try {
      await api("DELETE", `/me/close-friends/${encodeURIComponent(user.username)}`);
      paged.setItems((items) => items.filter((u) => u.id !== user.id));
      setStatus(`Took ${user.username} off your close friends.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="close-friends">
      <h1>Close friends</h1>
      <p class="muted">
        Only the people on this list see the posts and stories you share with “Close friends only”. They are
        not told when you add or remove them.
      </p>
      <form class="row close-friends-add" onSubmit={(e) => void add(e)}>
        <label>
          Username
          <input
            value={name}
            autoComplete="off"
            autoCapitalize="none"
            spellcheck={false}
            maxLength={31}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={busy !== null || name.trim() === ""}>
          Add
        </button>
      </form>
      <p role="status" class="close-friends-status">
        {status}
      </p>
      <ErrorBanner error={error} />
      <ul class="user-list">
        {paged.items.map((user) => (
          <UserRow key={user.id} user={user}>
            <button
              type="button"
              class="secondary"
              aria-label={`Remove ${user.username} from close friends`}
              disabled={busy === user.id}
              onClick={() => void remove(user)}
            >
              Remove
            </button>
          </UserRow>
        ))}
      </ul>
      <PagedFooter state={paged} empty="Nobody yet: add the people you share the most with." />
    </section>
  );
}
