import { useEffect, useState } from "preact/hooks";
import type { JSX } from "preact";
import { api } from "./api/client";
import { session, signIn, signOut, storedToken } from "./api/session";
import { startStream, streamConnected } from "./api/stream";
import type { UserView } from "./api/types";
import { ErrorBanner } from "./components/error-banner";
import { currentPath, Link, match, navigate } from "./router";
import { startBadges, unreadMessages, unreadNotifications } from "./state/badges";
import { AuthScreen } from "./screens/auth";
import { ComposeScreen } from "./screens/compose";
import { EditProfileScreen } from "./screens/edit-profile";
import { ExploreScreen } from "./screens/explore";
import { FeedScreen } from "./screens/feed";
import { FollowListScreen } from "./screens/follow-list";
import { FollowRequestsScreen } from "./screens/follow-requests";
import { MessagesScreen } from "./screens/messages";
import { NotificationsScreen } from "./screens/notifications";
import { PostScreen } from "./screens/post";
import { ProfileScreen } from "./screens/profile";
import { SavedScreen } from "./screens/saved";
import { SearchScreen } from "./screens/search";
import { StoryViewerScreen } from "./screens/story-viewer";
import { TagScreen } from "./screens/tag";

type Params = Record<string, string>;

/** Every screen of a signed-in person, by path. */
const ROUTES: [pattern: string, render: (p: Params) => JSX.Element][] = [
  ["/", () => <FeedScreen />],
  ["/new", () => <ComposeScreen />],
  ["/p/:id", (p) => <PostScreen id={p.id as string} />],
  ["/u/:username", (p) => <ProfileScreen username={p.username as string} />],
  ["/u/:username/followers", (p) => <FollowListScreen username={p.username as string} which="followers" />],
  ["/u/:username/following", (p) => <FollowListScreen username={p.username as string} which="following" />],
  ["/settings/profile", () => <EditProfileScreen />],
  ["/requests", () => <FollowRequestsScreen />],
  ["/search", () => <SearchScreen />],
  ["/tags/:tag", (p) => <TagScreen tag={p.tag as string} />],
  ["/explore", () => <ExploreScreen />],
  ["/saved", () => <SavedScreen />],
  ["/stories/:username", (p) => <StoryViewerScreen username={p.username as string} />],
  ["/notifications", () => <NotificationsScreen />],
  ["/messages", () => <MessagesScreen />],
  ["/messages/:id", (p) => <MessagesScreen conversationId={p.id} />],
];

export function App() {
  const [restoring, setRestoring] = useState(() => storedToken() !== null && session.value === null);
  const [bootError, setBootError] = useState<unknown>(null);

  // A token kept from the last visit: who it belongs to, or back to sign-in if it stopped working.
  const restore = () => {
    const token = storedToken();
    if (token === null) return setRestoring(false);
    setBootError(null);
    setRestoring(true);
    session.value = { token, me: session.value?.me ?? ({} as UserView) };
    api<UserView>("GET", "/me").then(
      (me) => {
        signIn(token, me);
        setRestoring(false);
      },
      (err: unknown) => {
        if (session.value === null) setRestoring(false);
        else setBootError(err);
      },
    );
  };
  useEffect(restore, []);
  useEffect(() => startStream(), []);
  useEffect(() => startBadges(), []);

  const path = currentPath.value;
  const me = session.value;

  if (bootError !== null) {
    return (
      <main id="main" class="centered">
        <h1>Mosaic</h1>
        <ErrorBanner error={bootError} onRetry={restore} />
      </main>
    );
  }
  if (restoring) {
    return (
      <main id="main" class="centered">
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (me === null) {
    const mode = path === "/signup" ? "signup" : "signin";
    if (path !== "/signin" && path !== "/signup") {
      queueMicrotask(() => navigate("/signin", { replace: true }));
    }
    return <AuthScreen mode={mode} />;
  }
  if (path === "/signin" || path === "/signup") {
    queueMicrotask(() => navigate("/", { replace: true }));
  }

  let screen: JSX.Element | undefined;
  for (const [pattern, render] of ROUTES) {
    const params = match(pattern, path);
    if (params) {
      screen = render(params);
      break;
    }
  }
  return (
    <div class="layout">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Nav me={me.me} path={path} />
      <main id="main" tabIndex={-1}>
        {!streamConnected.value && (
          <p class="offline muted" role="status">
            Reconnecting to live updates…
          </p>
        )}
        {screen ?? <NotFound />}
      </main>
    </div>
  );
}

function Nav(props: { me: UserView; path: string }) {
  const item = (href: string, label: string, badge?: number) => {
    const current = href === "/" ? props.path === "/" : props.path.startsWith(href);
    return (
      <li>
        <Link href={href} aria-current={current ? "page" : undefined}>
          {label}
          {badge !== undefined && badge > 0 && (
            <span class="badge" aria-label={`${badge} unread`}>
              {badge > 99 ? "99+" : badge}
            </span>
          )}
        </Link>
      </li>
    );
  };
  return (
    <header class="nav">
      <Link href="/" class="brand">
        Mosaic
      </Link>
      <nav aria-label="Main">
        <ul>
          {item("/", "Home")}
          {item("/search", "Search")}
          {item("/explore", "Explore")}
          {item("/new", "New post")}
          {item("/notifications", "Notifications", unreadNotifications.value)}
          {item("/messages", "Messages", unreadMessages.value)}
          {item(`/u/${props.me.username}`, "Profile")}
        </ul>
      </nav>
      <button type="button" class="link-button sign-out" onClick={() => void logout()}>
        Sign out
      </button>
    </header>
  );
}

async function logout(): Promise<void> {
  await api("POST", "/auth/logout").catch(() => undefined);
  signOut();
  navigate("/signin");
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is nothing here. <Link href="/">Back to your feed</Link>
      </p>
    </section>
  );
}
