import type { UserView } from "../accounts/user-view";
import type { PostView } from "../contracts/objects";

/**
 * What discovery needs of other modules, narrowed to the calls it makes (Posts, Graph and Accounts provide them),
 * so each class here can be tested with a few lines of fakes.
 */

/** Views of posts for a viewer, skipping those gone and those the viewer may not see (Posts.hydrateVisible). */
export interface VisiblePosts {
  hydrateVisible(
    viewerId: string,
    entries: readonly { postId: string; authorId: string }[],
  ): Promise<PostView[]>;
}

/** Everyone a user blocks or is blocked by, at most `max` (Graph). */
export interface BlockLists {
  blockedEitherWayIds(userId: string, max: number): Promise<string[]>;
}

/** Whom a user mutes now, each until when (ms; undefined: until undone) (Graph's mutes). */
export interface MuteLists {
  active(userId: string): Promise<ReadonlyMap<string, number | undefined>>;
}

/** Whom a user follows, newest follow first, at most `max` (Graph). */
export interface FollowLists {
  followingIds(userId: string, max: number): Promise<string[]>;
}

/** A user as the viewer sees them; undefined when there is no such user or a block hides them (Accounts). */
export interface UserViews {
  view(viewerId: string, userId: string): Promise<UserView | undefined>;
}

/** Whether an account's posts are for everyone (a public account); false for one that is gone. */
export interface AccountPrivacy {
  isPublic(userId: string): Promise<boolean>;
}

/**
 * Authors whose activity must not count for discovery. Asked while rankings are computed, with a round's authors
 * at once (lib/accounts/discovery-standing.ts).
 */
export interface AuthorStanding {
  /** Left out of trending and explore: suspended, or held for review after many reports. */
  excluded(authorIds: readonly string[]): Promise<ReadonlySet<string>>;
  /** When each author's activity starts to carry trending weight (ms): a new account's first day carries none. */
  countsFrom(authorIds: readonly string[]): Promise<ReadonlyMap<string, number>>;
}

/** Everyone counts, from the start: for tests of the rankings alone. */
export const EVERYONE_COUNTS: AuthorStanding = {
  excluded: () => Promise.resolve(new Set<string>()),
  countsFrom: () => Promise.resolve(new Map<string, number>()),
};
