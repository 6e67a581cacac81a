import type { UserView } from "../accounts/user-view";
import { KeptLoads, type KeptLoad } from "../concurrency/kept-loads";

/** Loads an author's public profile: their view without any relationship to a viewer. */
export type ProfileLoader = () => Promise<UserView | undefined>;

/** The views a follower sees of a kept profile, whether the author follows them back or not. */
interface FollowerViews {
  followed?: UserView;
  followedBack?: UserView;
}

type Cached = KeptLoad<UserView | undefined, FollowerViews>;

/**
 * Author views for feed pages. The feed has just checked that the viewer follows every author it shows and that
 * no block stands between them, so the relationship needs one read only (whether the author follows back), and
 * the public profile (names, avatar, counts) is shared by every reader on this node for a few seconds: a feed
 * page shows the same popular authors to everyone.
 */
export class AuthorViews {
  private readonly profiles: KeptLoads<UserView | undefined, FollowerViews>;

  constructor(deps: {
    /** How long a profile is reused: its counts and names may lag by as much. */
    ttlMs?: number;
    maxAuthors?: number;
    now?: () => number;
  }) {
    this.profiles = new KeptLoads({
      ttlMs: deps.ttlMs ?? 3_000,
      max: deps.maxAuthors ?? 10_000,
      ...(deps.now && { now: deps.now }),
    });
  }

  /**
   * `authorId` as `viewerId` sees them, given that the viewer follows them (or is them) and no block exists;
   * `followsViewer` answers whether the author follows the viewer back.
   */
  ofFollowed(
    viewerId: string,
    authorId: string,
    load: ProfileLoader,
    followsViewer: () => boolean | Promise<boolean>,
  ): UserView | undefined | Promise<UserView | undefined> {
    const cached = this.profiles.of(authorId, load);
    const followedBy = authorId === viewerId ? false : followsViewer();
    // Both known (a warm page): the view at once, with no promise made.
    if (cached.loaded !== undefined && typeof followedBy === "boolean") {
      return viewAs(viewerId, authorId, cached, cached.loaded.value, followedBy);
    }
    return Promise.all([cached.value, followedBy]).then(([profile, followed]) =>
      viewAs(viewerId, authorId, cached, profile, followed),
    );
  }

  /** The author's standing changed (suspended): the next page loads their profile again. */
  forget(authorId: string): void {
    this.profiles.forget(authorId);
  }
}

/**
 * The author as `viewerId` sees them. A follower's view is one object per kept profile and answer, shared by
 * every page that shows it while the profile is kept (PostJson writes the text of each object once).
 */
function viewAs(
  viewerId: string,
  authorId: string,
  cached: Cached,
  profile: UserView | undefined,
  followedBy: boolean,
): UserView | undefined {
  if (profile === undefined || authorId === viewerId) return profile;
  const views = (cached.memo ??= {});
  const key = followedBy ? "followedBack" : "followed";
  return (views[key] ??= {
    ...profile,
    relationship: { following: true, followedBy, requested: false, blocking: false },
  });
}
