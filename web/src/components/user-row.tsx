import type { ComponentChildren } from "preact";
import type { UserView } from "../api/types";
import { Link } from "../router";
import { Avatar } from "./avatar";
import { FollowButton } from "./follow-button";

/** A user in a list: picture, names, and whatever actions the list offers on the right. */
export function UserRow(props: { user: UserView; children?: ComponentChildren }) {
  const { user } = props;
  return (
    <li class="user-row">
      <Link href={`/u/${user.username}`} class="user-row-link">
        <Avatar user={user} />
        <span class="user-row-names">
          <strong>{user.username}</strong>
          {user.displayName && <span class="muted">{user.displayName}</span>}
        </span>
      </Link>
      {props.children && <span class="user-row-actions">{props.children}</span>}
    </li>
  );
}

/** A list of users, each with a follow button when `follow` is set (none on oneself). */
export function UserList(props: { users: readonly UserView[]; follow?: boolean }) {
  return (
    <ul class="user-list">
      {props.users.map((user) => (
        <UserRow key={user.id} user={user}>
          {props.follow && <FollowButton user={user} />}
        </UserRow>
      ))}
    </ul>
  );
}
