import type { ReadonlySignal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import type { JSX } from "preact";
import { api } from "./api/client";
import { session, signIn, storedToken } from "./api/session";
import { startStream, streamConnected } from "./api/stream";
import type { UserView } from "./api/types";
import { ErrorBanner } from "./components/error-banner";
import {
  CompassIcon,
  HeartIcon,
  HomeIcon,
  PaperPlaneIcon,
  PlusSquareIcon,
  ReelsIcon,
  SearchIcon,
  UserIcon,
} from "./components/icons";
import { SignOutButton } from "./components/sign-out-button";
import { currentPath, Link, match, navigate } from "./router";
import { startBadges, unreadMessages, unreadNotifications } from "./state/badges";
import { AuthScreen } from "./screens/auth";
import { ComposeScreen } from "./screens/compose";
import { EditProfileScreen } from "./screens/edit-profile";
import { CloseFriendsScreen } from "./screens/close-friends";
import { ExploreScreen } from "./screens/explore";
import { ReelsScreen } from "./screens/reels";
import { FeedScreen } from "./screens/feed";
import { FollowListScreen } from "./screens/follow-list";
import { FollowRequestsScreen } from "./screens/follow-requests";
import { MessagesScreen } from "./screens/messages";
import { ActivityScreen } from "./screens/activity";
import { ModerationScreen } from "./screens/moderation";
import { PushSettingsScreen } from "./screens/push-settings";
import { ForgotPasswordScreen, ResetPasswordScreen, VerifyEmailScreen } from "./screens/recovery";
import { MutedScreen } from "./screens/muted";
import { NotificationsScreen } from "./screens/notifications";
import { PostScreen } from "./screens/post";
import { ProfileScreen } from "./screens/profile";
import { SavedScreen } from "./screens/saved";
import { SearchScreen } from "./screens/search";
import { SecurityScreen } from "./screens/security";
import { StoryViewerScreen } from "./screens/story-viewer";
import { TagScreen } from "./screens/tag";
import "./styles/nav.css";

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
  ["/settings/security", () => <SecurityScreen />],
  ["/requests", () => <FollowRequestsScreen />],
  ["/search", () => <SearchScreen />],
  ["/tags/:tag", (p) => <TagScreen tag={p.tag as string} />],
  ["/explore", () => <ExploreScreen />],
  ["/reels", () => <ReelsScreen />],
  ["/saved", () => <SavedScreen />],
  ["/close-friends", () => <CloseFriendsScreen />],
  ["/muted", () => <MutedScreen />],
  ["/moderation", () => <ModerationScreen />],
  ["/activity", () => <ActivityScreen />],
  ["/settings/notifications", () => <PushSettingsScreen />],
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
    api<UserView>("GET", "/me", { token }).then(
      (me) => {
        signIn(token, me);
        setRestoring(false);
      },
      (err: unknown) => {
        // A 401 signed out (and forgot the token): the sign-in screen says why. Anything else can be retried.
        if (storedToken() === null) setRestoring(false);
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
  // Pages a mailed link opens work whether one is signed in or not.
  if (path === "/forgot-password") return <ForgotPasswordScreen />;
  if (path === "/reset-password") return <ResetPasswordScreen />;
  if (path === "/verify-email") return <VerifyEmailScreen />;
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

interface NavItem {
  href: string;
  label: string;
  Icon: typeof HomeIcon;
  /** An unread count shown on the item. */
  badge?: ReadonlySignal<number>;
}

const NAV_ITEMS: NavItem[] = [
  { href: "/", label: "Home", Icon: HomeIcon },
  { href: "/search", label: "Search", Icon: SearchIcon },
  { href: "/explore", label: "Explore", Icon: CompassIcon },
  { href: "/reels", label: "Reels", Icon: ReelsIcon },
  { href: "/new", label: "New post", Icon: PlusSquareIcon },
  { href: "/notifications", label: "Notifications", Icon: HeartIcon, badge: unreadNotifications },
  { href: "/messages", label: "Messages", Icon: PaperPlaneIcon, badge: unreadMessages },
];

function Nav(props: { me: UserView; path: string }) {
  const items: NavItem[] = [
    ...NAV_ITEMS,
    { href: `/u/${props.me.username}`, label: "Profile", Icon: UserIcon },
  ];
  return (
    <header class="nav">
      <Link href="/" class="brand">
        Mosaic
      </Link>
      <nav aria-label="Main">
        <ul>
          {items.map(({ href, label, Icon, badge: unread }) => {
            const current = props.path === href || (href !== "/" && props.path.startsWith(`${href}/`));
            const badge = unread?.value ?? 0;
            return (
              <li key={href}>
                <Link href={href} aria-current={current ? "page" : undefined}>
                  <Icon />
                  {/* The name stays in the link (its accessible name) when a phone shows only the icon. */}
                  <span class="nav-label visually-hidden-narrow">{label}</span>
                  {badge > 0 && (
                    <span class="badge" aria-label={`${badge} unread`}>
                      {badge > 99 ? "99+" : badge}
                    </span>
                  )}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <SignOutButton class="link-button sign-out" />
    </header>
  );
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
