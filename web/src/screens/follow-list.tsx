import { useEffect, useState } from "preact/hooks";
import { ApiError, page } from "../api/client";
import type { UserView } from "../api/types";
import { ErrorBanner } from "../components/error-banner";
import { FollowButton } from "../components/follow-button";
import { PagedFooter, usePaged } from "../components/paged-list";
import { UserRow } from "../components/user-row";
import { Link } from "../router";
import "../styles/people.css";

/** Who follows someone, or whom they follow, each with a follow button (none on oneself). */
export function FollowListScreen(props: { username: string; which: "followers" | "following" }) {
  const { username, which } = props;
  const paged = usePaged<UserView>(
    (cursor) => page<UserView>(`/users/${encodeURIComponent(username)}/${which}`, cursor),
    [username, which],
  );
  const forbidden = paged.error instanceof ApiError && paged.error.status === 403;
  return (
    <section class="follow-list">
      <p class="follow-list-back">
        <Link href={`/u/${encodeURIComponent(username)}`}>← {username}</Link>
      </p>
      <h1>{which === "followers" ? `${username}’s followers` : `${username} is following`}</h1>
      {forbidden ? (
        <p class="profile-note">
          This account is private. Follow to see who they follow and who follows them.
        </p>
      ) : (
        <>
          <ul class="user-list">
            {paged.items.map((user) => (
              <UserRow key={user.id} user={user}>
                <FollowButton user={user} />
              </UserRow>
            ))}
          </ul>
          <PagedFooter
            state={{ ...paged, itemsCount: paged.items.length }}
            empty={which === "followers" ? "No followers yet." : "Not following anyone yet."}
          />
        </>
      )}
    </section>
  );
}

/**
 * Accounts followed by the people one follows (`GET /api/users/suggested`), each with a follow button: on the
 * search screen before a query and on explore.
 */
export function SuggestedUsers(props: { limit?: number }) {
  const limit = props.limit ?? 10;
  const [users, setUsers] = useState<UserView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => {
    setError(null);
    page<UserView>("/users/suggested", null, limit).then(
      (found) => setUsers(found.items),
      (err: unknown) => setError(err),
    );
  };
  useEffect(load, [limit]);
  return (
    <section class="suggested" aria-labelledby="suggested-title">
      <h2 id="suggested-title">Suggested for you</h2>
      <ErrorBanner error={error} onRetry={load} />
      {users === null && error === null && (
        <p class="muted" role="status">
          Loading…
        </p>
      )}
      {users?.length === 0 && (
        <p class="muted">No suggestions yet: follow a few people and their friends show up here.</p>
      )}
      {users && users.length > 0 && (
        <ul class="user-list">
          {users.map((user) => (
            <UserRow key={user.id} user={user}>
              <FollowButton user={user} />
            </UserRow>
          ))}
        </ul>
      )}
    </section>
  );
}
