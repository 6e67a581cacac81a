import { page } from "../api/client";
import type { UserView } from "../api/types";
import { useLoad } from "../api/use-load";
import { ErrorBanner } from "./error-banner";
import { UserList } from "./user-row";

/**
 * Accounts followed by the people one follows (`GET /api/users/suggested`), each with a follow button: on the
 * search screen before a query and on explore.
 */
export function SuggestedUsers(props: { limit?: number }) {
  const limit = props.limit ?? 10;
  const suggested = useLoad(
    () => page<UserView>("/users/suggested", null, limit).then((found) => found.items),
    [limit],
  );
  const users = suggested.value;
  return (
    <section class="suggested" aria-labelledby="suggested-title">
      <h2 id="suggested-title">Suggested for you</h2>
      <ErrorBanner error={suggested.error} onRetry={suggested.reload} />
      {users === null && suggested.error === null && (
        <p class="muted" role="status">
          Loading…
        </p>
      )}
      {users?.length === 0 && (
        <p class="muted">No suggestions yet: follow a few people and their friends show up here.</p>
      )}
      {users && users.length > 0 && <UserList users={users} follow />}
    </section>
  );
}
