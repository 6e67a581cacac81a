import type { UserView } from "../accounts/user-view";
import { LruMap } from "../concurrency/lru-map";

/** Loads an author's public profile: their view without any relationship to a viewer. */
export type ProfileLoader = () => Promise<UserView | undefined>;

interface Cached {
  profile: Promise<UserView | undefined>;
  at: number;
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
  async ofFollowed(
    viewerId: string,
    authorId: string,
    load: ProfileLoader,
    followsViewer: () => Promise<boolean>,
  ): Promise<UserView | undefined> {
    const [profile, followedBy] = await Promise.all([
      this.profile(authorId, load),
      authorId === viewerId ? false : followsViewer(),
    ]);
    if (profile === undefined || authorId === viewerId) return profile;
    return { ...profile, relationship: { following: true, followedBy, requested: false, blocking: false } };
  }

  /** The author's standing changed (suspended): the next page loads their profile again. */
  forget(authorId: string): void {
    this.profiles.delete(authorId);
  }

  private profile(authorId: string, load: ProfileLoader): Promise<UserView | undefined> {
    const now = this.now();
    const cached = this.profiles.peek(authorId);
    if (cached && now - cached.at <= (this.deps.ttlMs ?? 3_000)) return cached.profile;
    // One load per author at a time: the readers arriving meanwhile share it.
    const profile = load();
    this.profiles.set(authorId, { profile, at: now });
    profile.catch(() => {
      if (this.profiles.peek(authorId)?.profile === profile) this.profiles.delete(authorId);
    });
    return profile;
  }
}
