import { effect, signal } from "@preact/signals";
import { api } from "../api/client";
import { session } from "../api/session";
import { onStream } from "../api/stream";
import type { ConversationView, Page } from "../api/types";

/** Unread notifications, for the nav badge: read from the API at sign-in, bumped live by the stream. */
export const unreadNotifications = signal(0);

/** Unread messages across conversations, for the nav badge. */
export const unreadMessages = signal(0);

/** Asks the API for both counts again (after marking things read, or when the stream reconnects). */
export async function refreshBadges(): Promise<void> {
  if (session.value === null) return;
  const [notifications, conversations] = await Promise.all([
    api<{ count: number }>("GET", "/notifications/unread-count"),
    api<Page<ConversationView>>("GET", "/conversations", { query: { limit: 100 } }),
  ]);
  unreadNotifications.value = notifications.count;
  unreadMessages.value = conversations.items.reduce((sum, c) => sum + c.unreadCount, 0);
}

/** Keeps the badges right while someone is signed in. */
export function startBadges(): () => void {
  const stopNotifications = onStream("notification", () => unreadNotifications.value++);
  const stopMessages = onStream("message", (message) => {
    if (message.sender.id !== session.value?.me.id) unreadMessages.value++;
  });
  const stopSession = effect(() => {
    if (session.value?.token) void refreshBadges().catch(() => undefined);
    else unreadNotifications.value = unreadMessages.value = 0;
  });
  return () => {
    stopNotifications();
    stopMessages();
    stopSession();
  };
}
