import { effect, signal } from "@preact/signals";
import { api } from "../api/client";
import { session } from "../api/session";
import { onStream, streamConnected } from "../api/stream";
import type { ConversationView, Page } from "../api/types";

/** Unread notifications, for the nav badge: read from the API at sign-in, bumped live by the stream. */
export const unreadNotifications = signal(0);

/** Unread messages across conversations, for the nav badge. */
export const unreadMessages = signal(0);

/**
 * The conversation whose thread is on screen, set by the thread while it is open: its messages are read as they
 * arrive, so they must not count as unread in the badge.
 */
export const openConversationId = signal<string | null>(null);

/** Whether the notifications screen is open: what arrives there is read at once. */
export const notificationsOpen = signal(false);

/** Asks the API for both counts again (after marking things read, or when the stream reconnects). */
export async function refreshBadges(): Promise<void> {
  if (session.value === null) return;
  const [notifications, conversations] = await Promise.all([
    api<{ count: number }>("GET", "/notifications/unread-count"),
    api<Page<ConversationView>>("GET", "/conversations", { query: { limit: 100 } }),
  ]);
  unreadNotifications.value = notificationsOpen.value ? 0 : notifications.count;
  unreadMessages.value = conversations.items.reduce(
    (sum, c) => sum + (c.id === openConversationId.value ? 0 : c.unreadCount),
    0,
  );
}

/** Keeps the badges right while someone is signed in. */
export function startBadges(): () => void {
  const stopNotifications = onStream("notification", () => {
    if (!notificationsOpen.value) unreadNotifications.value++;
  });
  const stopMessages = onStream("message", (message) => {
    if (message.sender.id === session.value?.me.id) return;
    if (message.conversationId === openConversationId.value) return;
    unreadMessages.value++;
  });
  const stopSession = effect(() => {
    if (session.value?.token) void refreshBadges().catch(() => undefined);
    else unreadNotifications.value = unreadMessages.value = 0;
  });
  // Events sent while the stream was down are replayed on reconnect, but a long outage may outlast the replay
  // log: the counts are asked for again once the stream is back and its replay (within a second) has arrived.
  let wasUp = false;
  let wasDown = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopReconnect = effect(() => {
    if (streamConnected.value) {
      if (wasUp && wasDown) {
        clearTimeout(timer);
        timer = setTimeout(() => void refreshBadges().catch(() => undefined), 2000);
      }
      wasUp = true;
      wasDown = false;
    } else if (wasUp) wasDown = true;
  });
  return () => {
    stopNotifications();
    stopMessages();
    stopSession();
    stopReconnect();
    clearTimeout(timer);
  };
}
