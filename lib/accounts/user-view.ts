import { roleOf } from "./standing";
import type { Relationship, UserView } from "../contracts/objects";
import type { Row } from "../store/schema";
import type { userCounts, users } from "./tables";

export type { Relationship, UserView } from "../contracts/objects";

export function toUserView(
  row: Row<typeof users>,
  counts: Row<typeof userCounts> | undefined,
  extra: { email?: boolean; relationship?: Relationship; avatarUrl?: string | null } = {},
): UserView {
  const view: UserView = {
    id: row.user_id,
    username: row.username ?? "",
    displayName: row.display_name ?? "",
    bio: row.bio ?? "",
    avatarUrl: extra.avatarUrl ?? null,
    isPrivate: row.is_private ?? false,
    createdAt: (row.created_at ?? new Date(0)).toISOString(),
    counts: {
      followers: counts?.followers ?? 0,
      following: counts?.following ?? 0,
      posts: counts?.posts ?? 0,
    },
  };
  if (extra.relationship) view.relationship = extra.relationship;
  if (extra.email) {
    view.email = row.email ?? "";
    view.emailVerified = (row.email_verified_at?.getTime() ?? 0) > 0;
  }
  // Told only to its holder, so the client can offer what the role opens (the moderation queue).
  const role = extra.email ? roleOf(row) : undefined;
  if (role !== undefined) view.role = role;
  return view;
}

/**
 * Who sent a message whose sender's account was erased: the messages stay for the other members, from an account
 * no id of which is left anywhere. No Snowflake id is this small (ids count milliseconds since an epoch years
 * before any node ran), so it names nobody real.
 */
export const ERASED_ACCOUNT_ID = "1";

export function erasedAccountView(): UserView {
  return {
    id: ERASED_ACCOUNT_ID,
    username: "",
    displayName: "Deleted account",
    bio: "",
    avatarUrl: null,
    isPrivate: true,
    createdAt: new Date(0).toISOString(),
    counts: { followers: 0, following: 0, posts: 0 },
  };
}
