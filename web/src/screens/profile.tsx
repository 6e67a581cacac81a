import { useEffect, useState } from "preact/hooks";
import { api, ApiError, page } from "../api/client";
import { session } from "../api/session";
import type { ConversationView, PostView, UserView } from "../api/types";
import { useLoad } from "../api/use-load";
import { Avatar } from "../components/avatar";
import { CaptionText } from "../components/caption-text";
import { ErrorBanner } from "../components/error-banner";
import { FollowButton } from "../components/follow-button";
import { LockIcon } from "../components/icons";
import { PagedFooter, usePaged } from "../components/paged-list";
import { PostGrid } from "../components/post-grid";
import { SignOutButton } from "../components/sign-out-button";
import { Link, navigate } from "../router";
import { MuteButton } from "../components/mute-button";
import { ReportButton } from "../components/report-dialog";
import { formatCount, pluralNoun } from "../text";
import "../styles/profile.css";

/** A profile: who they are, how one stands with them, and their posts (if one may see them). */
export function ProfileScreen(props: { username: string }) {
  const { username } = props;
  const {
    value: user,
    setValue: setUser,
    error,
    reload,
  } = useLoad(
    (signal) => api<UserView>("GET", `/users/${encodeURIComponent(username)}`, { signal }),
    [username],
  );

  if (error instanceof ApiError && error.status === 404)
    return <UserNotFound username={username} onUnblocked={reload} />;
  if (user === null) {
    return (
      <section class="profile">
        <h1>{username}</h1>
        {error === null ? (
          <p class="muted" role="status">
            Loading…
          </p>
        ) : (
          <ErrorBanner error={error} onRetry={reload} />
        )}
      </section>
    );
  }
  const self = user.id === session.value?.me.id;
  const blocking = user.relationship?.blocking === true;
  // Who may see a private account's posts and lists: itself and its approved followers.
  const canSee = self || !user.isPrivate || user.relationship?.following === true;
  return (
    <section class="profile">
      <ProfileHeader user={user} self={self} canSee={canSee} onChange={setUser} onUnblocked={reload} />
      {blocking ? (
        <p class="profile-note">
          You blocked {user.username}. Neither of you can see the other’s profile or posts.
        </p>
      ) : (
        // A new follow of a private account opens its posts: read them afresh.
        <ProfilePosts key={`${user.id}:${canSee}`} user={user} />
      )}
    </section>
  );
}

function ProfileHeader(props: {
  user: UserView;
  self: boolean;
  canSee: boolean;
  onChange: (user: UserView) => void;
  onUnblocked: () => void;
}) {
  const { user, self, canSee } = props;
  const base = `/u/${encodeURIComponent(user.username)}`;
  return (
    <header class="profile-header">
      <Avatar user={user} size="l" />
      <div class="profile-info">
        <div class="profile-title">
          <h1>{user.username}</h1>
          {user.isPrivate && (
            <span class="profile-private">
              <LockIcon /> Private account
            </span>
          )}
        </div>
        <div class="profile-actions">{self ? <OwnActions user={user} /> : <OtherActions {...props} />}</div>
        <ul class="profile-counts">
          <li>
            <Count count={user.counts.posts} noun="post" />
          </li>
          <li>
            <Count
              count={user.counts.followers}
              noun="follower"
              href={canSee ? `${base}/followers` : undefined}
            />
          </li>
          <li>
            <Count
              count={user.counts.following}
              noun="following"
              plural="following"
              href={canSee ? `${base}/following` : undefined}
            />
          </li>
        </ul>
        {user.displayName && <p class="profile-name">{user.displayName}</p>}
        {user.relationship?.followedBy && <p class="profile-follows-you">Follows you</p>}
        {user.bio && (
          <p class="profile-bio">
            <CaptionText text={user.bio} />
          </p>
        )}
      </div>
    </header>
  );
}

/** "12 followers": a link to the list when one may see it, else plain text (the list would answer 403). */
function Count(props: { count: number; noun: string; plural?: string; href?: string | undefined }) {
  const body = (
    <>
      <strong>{formatCount(props.count)}</strong> {pluralNoun(props.count, props.noun, props.plural)}
    </>
  );
  return props.href ? <Link href={props.href}>{body}</Link> : <span>{body}</span>;
}

function OwnActions(props: { user: UserView }) {
  const { user } = props;
  // A public account may still hold requests from when it was private: offer the list when there are any.
  const [hasRequests, setHasRequests] = useState(false);
  useEffect(() => {
    if (user.isPrivate) return;
    page<UserView>("/follow-requests", null, 1).then(
      (found) => setHasRequests(found.items.length > 0),
      () => setHasRequests(false),
    );
  }, [user.id, user.isPrivate]);
  return (
    <>
      <Link href="/settings/profile" class="button secondary">
        Edit profile
      </Link>
      {(user.isPrivate || hasRequests) && (
        <Link href="/requests" class="button secondary">
          Follow requests
        </Link>
      )}
      <Link href="/saved" class="button secondary">
        Saved
      </Link>
      <Link href="/activity" class="button secondary">
        Your activity
      </Link>
      <Link href="/close-friends" class="button secondary">
        Close friends
      </Link>
      <Link href="/muted" class="button secondary">
        Muted
      </Link>
      {session.value?.me.role !== undefined && (
        <Link href="/moderation" class="button secondary">
          Moderation
        </Link>
      )}
      <SignOutButton class="secondary profile-sign-out" />
    </>
  );
}

function OtherActions(props: {
  user: UserView;
  onChange: (user: UserView) => void;
  onUnblocked: () => void;
}) {
  const { user, onChange } = props;
  const [busy, setBusy] = useState<"message" | "block" | null>(null);
  const [error, setError] = useState<unknown>(null);
  const path = `/users/${encodeURIComponent(user.username)}`;
  const blocking = user.relationship?.blocking === true;

  const message = async () => {
    setBusy("message");
    setError(null);
    try {
      const conversation = await api<ConversationView>("POST", "/conversations", {
        body: { usernames: [user.username] },
      });
      navigate(`/messages/${conversation.id}`);
    } catch (err) {
      setError(err);
      setBusy(null);
    }
  };

  const block = async () => {
    const question = blocking
      ? `Unblock ${user.username}? They will be able to find your profile and follow you again.`
      : `Block ${user.username}? They won’t be able to find your profile or posts, and any follows between you end.`;
    if (!confirm(question)) return;
    setBusy("block");
    setError(null);
    try {
      await api(blocking ? "DELETE" : "POST", `${path}/block`);
      if (blocking) {
        props.onUnblocked();
      } else {
        // The API now hides them from us (404): keep what we know, so "Unblock" stays at hand.
        const followedUs = user.relationship?.followedBy === true;
        const weFollowed = user.relationship?.following === true;
        onChange({
          ...user,
          relationship: { following: false, followedBy: false, requested: false, blocking: true },
          counts: {
            ...user.counts,
            followers: Math.max(0, user.counts.followers - (weFollowed ? 1 : 0)),
            following: Math.max(0, user.counts.following - (followedUs ? 1 : 0)),
          },
        });
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <FollowButton user={user} onChange={onChange} />
      {!blocking && (
        <button type="button" class="secondary" disabled={busy === "message"} onClick={() => void message()}>
          Message
        </button>
      )}
      {!blocking && <MuteButton user={user} />}
      {!blocking && (
        <ReportButton target={{ type: "account", id: user.id }} class="secondary" label="Report" />
      )}
      <button
        type="button"
        class={blocking ? "secondary" : "secondary profile-block"}
        disabled={busy === "block"}
        onClick={() => void block()}
      >
        {blocking ? "Unblock" : "Block"}
      </button>
      <ErrorBanner error={error} />
    </>
  );
}

/** The posts as a grid, paged as one scrolls; a private account one does not follow answers 403. */
function ProfilePosts(props: { user: UserView }) {
  const { user } = props;
  const paged = usePaged<PostView>(
    (cursor) => page<PostView>(`/users/${encodeURIComponent(user.username)}/posts`, cursor, 18),
    [user.username],
  );
  if (paged.error instanceof ApiError && paged.error.status === 403) {
    return (
      <div class="profile-note">
        <LockIcon />
        <p>This account is private. Follow to see their photos and videos.</p>
      </div>
    );
  }
  return (
    <div class="profile-posts">
      <h2 class="visually-hidden">Posts</h2>
      <PostGrid posts={paged.items} />
      <PagedFooter
        state={paged}
        empty={user.id === session.value?.me.id ? "Share your first photo or video." : "No posts yet."}
      />
    </div>
  );
}

function UserNotFound(props: { username: string; onUnblocked: () => void }) {
  const [error, setError] = useState<unknown>(null);
  // A block hides the blocked account from its blocker too (404), and there is no list of blocks: this is where
  // it can be undone. Names are no secret, so offering it reveals nothing.
  const unblock = async () => {
    setError(null);
    try {
      await api("DELETE", `/users/${encodeURIComponent(props.username)}/block`);
      props.onUnblocked();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="profile">
      <h1>User not found</h1>
      <p>There is no account named “{props.username}” that you can see.</p>
      <p class="muted">
        If you blocked {props.username}, you can{" "}
        <button type="button" class="link-button" onClick={() => void unblock()}>
          unblock them
        </button>
        .
      </p>
      <ErrorBanner error={error} />
      <p>
        <Link href="/search">Search for people</Link>
      </p>
    </section>
  );
}
