import type { UserView } from "../accounts/user-view";
import { LruMap } from "../concurrency/lru-map";

/** Loads an author's public profile: their view without any relationship to a viewer. */
export type ProfileLoader = () => Promise<UserView | undefined>;

interface Cached {
  profile: Promise<UserView | undefined>;
  at: number;
  /** The profile once loaded, for pages that need no promise for it. */
  loaded?: { profile: UserView | undefined };
  /** The views a follower sees of this profile, whether the author follows them back or not. */
  views?: { followed?: UserView; followedBack?: UserView };
}

/**
 * Author views for feed pages. The feed has just checked that the viewer follows every author it shows and that
 * no block stands between them, so the relationship needs one read only (whether the author follows back), and
 * the public profile (names, avatar, counts) is shared by every reader on this node for a few seconds: a feed
 * page shows the same popular authors to everyone.
 */
export class AuthorViews {
  private readonly profiles: LruMap<string, Cached>;
  private readonly now: () => number;

  constructor(
    private readonly deps: {
      /** How long a profile is reused: its counts and names may lag by as much. */
      ttlMs?: number;
      maxAuthors?: number;
      now?: () => number;
    },
  ) {
    this.now = deps.now ?? Date.now;
    this.profiles = new LruMap(deps.maxAuthors ?? 10_000);
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
    const cached = this.profile(authorId, load);
    const followedBy = authorId === viewerId ? false : followsViewer();
    // Both known (a warm page): the view at once, with no promise made.
    if (cached.loaded !== undefined && typeof followedBy === "boolean") {
      return viewAs(viewerId, authorId, cached, cached.loaded.profile, followedBy);
    }
    return Promise.all([cached.profile, followedBy]).then(([profile, followed]) =>
      viewAs(viewerId, authorId, cached, profile, followed),
    );
  }

  /** The author's standing changed (suspended): the next page loads their profile again. */
  forget(authorId: string): void {
    this.profiles.delete(authorId);
  }

  private profile(authorId: string, load: ProfileLoader): Cached {
    const now = this.now();
    const kept = this.profiles.peek(authorId);
    if (kept && now - kept.at <= (this.deps.ttlMs ?? 3_000)) return kept;
    // One load per author at a time: the readers arriving meanwhile share it.
    const profile = load();
    const cached: Cached = { profile, at: now };
    this.profiles.set(authorId, cached);
    profile.then(
      (loaded) => {
        cached.loaded = { profile: loaded };
      },
      () => {
        if (this.profiles.peek(authorId) === cached) this.profiles.delete(authorId);
      },
    );
    return cached;
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
  const views = (cached.views ??= {});
  const key = followedBy ? "followedBack" : "followed";
  return (views[key] ??= {
    ...profile,
    relationship: { following: true, followedBy, requested: false, blocking: false },
  });
}
