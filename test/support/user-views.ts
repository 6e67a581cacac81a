import type { UserView } from "../../lib/accounts/user-view";

/** A public profile with nothing in it but its id (and `u<id>` as its name), for tests of lists of people. */
export function plainUserView(id: string, followers = 0): UserView {
  return {
    id,
    username: `u${id}`,
    displayName: "",
    bio: "",
    avatarUrl: null,
    isPrivate: false,
    createdAt: new Date(0).toISOString(),
    counts: { followers, following: 0, posts: 0 },
  };
}
