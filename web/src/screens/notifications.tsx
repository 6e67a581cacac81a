import { useEffect, useRef, useState } from "preact/hooks";
import { api, page } from "../api/client";
import { onStream } from "../api/stream";
import type { NotificationView } from "../api/types";
import { Avatar } from "../components/avatar";
import { ErrorBanner } from "../components/error-banner";
import { PagedFooter, usePaged } from "../components/paged-list";
import { Link } from "../router";
import { notificationsOpen, unreadNotifications } from "../state/badges";
import { TimeAgo } from "../components/time";
import "../styles/notifications.css";

/** What happened, after the actor's name. */
const WHAT: Record<NotificationView["type"], string> = {
  like: "liked your post",
  comment: "commented on your post",
  follow: "started following you",
  follow_request: "requested to follow you",
  follow_accepted: "accepted your follow request",
  mention: "mentioned you",
  report_resolved: "",
};

/** How a report ended, as its reporter reads it. */
const OUTCOME: Record<NonNullable<NotificationView["report"]>["outcome"], string> = {
  dismissed: "was reviewed: it does not go against our guidelines",
  removed: "was reviewed, and what you reported was removed",
  suspended: "was reviewed, and the account was suspended",
};

/**
 * Notifications, newest first, new ones arriving live at the top. Opening the screen reads them all (those
 * unread until now keep their mark for this visit, so the person sees what is new).
 */
export function NotificationsScreen() {
  const state = usePaged<NotificationView>((cursor) => page("/notifications", cursor), []);
  const { items, setItems } = state;
  const [readError, setReadError] = useState<unknown>(null);
  const readUpTo = useRef<string | null>(null);

  useEffect(() => {
    notificationsOpen.value = true;
    unreadNotifications.value = 0;
    const stop = onStream("notification", (n) => setItems((old) => [n, ...old.filter((o) => o.id !== n.id)]));
    return () => {
      stop();
      notificationsOpen.value = false;
    };
  }, []);

  const newest = items[0];
  const newestId = newest?.id;
  const newestUnread = newest !== undefined && !newest.read;
  useEffect(() => {
    if (newestId === undefined || readUpTo.current === newestId) return;
    readUpTo.current = newestId;
    unreadNotifications.value = 0;
    // Already read on the server (a second visit): nothing to say.
    if (!newestUnread) return;
    setReadError(null);
    api("POST", "/notifications/read", { body: { upToId: newestId } }).then(
      () => (unreadNotifications.value = 0),
      (err: unknown) => setReadError(err),
    );
  }, [newestId]);

  return (
    <section class="notifications">
      <h1>Notifications</h1>
      <ErrorBanner error={readError} />
      <ul class="notification-list">
        {items.map((n) => (
          <NotificationItem key={n.id} notification={n} />
        ))}
      </ul>
      <PagedFooter state={state} empty="No notifications yet." />
    </section>
  );
}

function NotificationItem(props: { notification: NotificationView }) {
  const n = props.notification;
  const actor = n.actor.username;
  return (
    <li class={`notification ${n.read ? "" : "notification-unread"}`}>
      <Avatar user={n.actor} />
      <div class="notification-body">
        {n.report ? (
          <p class="notification-text">
            Your report of a {n.report.targetType} {OUTCOME[n.report.outcome]}. Thank you for helping keep
            Mosaic safe.
          </p>
        ) : (
          <p class="notification-text">
            <Link href={`/u/${encodeURIComponent(actor)}`} class="notification-actor">
              {actor}
            </Link>{" "}
            {WHAT[n.type] ?? "did something"}
          </p>
        )}
        <p class="notification-meta">
          <TimeAgo iso={n.createdAt} class="muted" />
          {n.postId !== undefined && <Link href={`/p/${n.postId}`}>View post</Link>}
          {n.type === "follow_request" && <Link href="/requests">Review follow requests</Link>}
          {!n.read && (
            <span class="notification-dot">
              <span class="visually-hidden">unread</span>
            </span>
          )}
        </p>
      </div>
    </li>
  );
}
