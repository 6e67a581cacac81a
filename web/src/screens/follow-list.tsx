import { ApiError, page } from "../api/client";
import type { UserView } from "../api/types";
import { PagedFooter, usePaged } from "../components/paged-list";
import { UserList } from "../components/user-row";
import { Link } from "../router";
import "../styles/people.css";
import "../styles/profile.css";

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
          <UserList users={paged.items} follow />
          <PagedFooter
            state={paged}
            empty={which === "followers" ? "No followers yet." : "Not following anyone yet."}
          />
        </>
      )}
    </section>
  );
}
