import { computed, effect, signal } from "@preact/signals";
import { api } from "./client";
import { session } from "./session";
import type { MessageView, NotificationView } from "./types";

/** What `/api/stream` sends, by event name. */
export interface StreamEvents {
  notification: NotificationView;
  message: MessageView;
  feed: { postId: string };
}
export type StreamKind = keyof StreamEvents;
type Listener<K extends StreamKind> = (data: StreamEvents[K]) => void;

const listeners: { [K in StreamKind]: Set<Listener<K>> } = {
  notification: new Set(),
  message: new Set(),
  feed: new Set(),
};

/** Whether the live stream is connected (the UI says so when it is not). */
export const streamConnected = signal(false);

/** Hears `kind` events until the returned function is called (use it as an effect's clean-up). */
export function onStream<K extends StreamKind>(kind: K, listener: Listener<K>): () => void {
  const set = listeners[kind] as Set<Listener<K>>;
  set.add(listener);
  return () => set.delete(listener);
}

/** The longest wait before opening again a stream the server refused (growing from a second). */
const MAX_REOPEN_MS = 30_000;

/**
 * One EventSource while someone is signed in. The browser reconnects by itself after a dropped connection and
 * sends `Last-Event-ID`, so nothing sent while it was away is missed. EventSource cannot send headers: the token
 * goes in the query.
 */
export function startStream(): () => void {
  // Only a new token opens a new stream, not every change of the session (a profile edit).
  const token = computed(() => session.value?.token);
  let source: EventSource | undefined;
  let reopen: ReturnType<typeof setTimeout> | undefined;
  let lastEventId: string | undefined;
  let failures = 0;

  const close = () => {
    clearTimeout(reopen);
    source?.close();
    source = undefined;
    streamConnected.value = false;
  };
  const open = (given: string) => {
    const query = new URLSearchParams({ access_token: given });
    if (lastEventId !== undefined) query.set("lastEventId", lastEventId);
    const opened = new EventSource(`/api/stream?${query.toString()}`);
    source = opened;
    opened.onopen = () => {
      failures = 0;
      streamConnected.value = true;
    };
    opened.onerror = () => {
      streamConnected.value = false;
      if (opened.readyState !== EventSource.CLOSED || source !== opened) return;
      // The browser gives up on an answer that is not a stream: a session that ended elsewhere (401; asking
      // /me signs out, as any request would), or a gateway that could not serve it (503). Try again later.
      void api("GET", "/me").catch(() => undefined);
      reopen = setTimeout(() => open(given), Math.min(MAX_REOPEN_MS, 1000 * 2 ** failures++));
    };
    for (const kind of Object.keys(listeners) as StreamKind[]) {
      opened.addEventListener(kind, (event) => {
        const message = event as MessageEvent<string>;
        if (message.lastEventId !== "") lastEventId = message.lastEventId;
        dispatch(kind, message.data);
      });
    }
  };

  const stop = effect(() => {
    const current = token.value;
    close();
    lastEventId = undefined;
    failures = 0;
    if (current) open(current);
  });
  return () => {
    stop();
    close();
  };
}

function dispatch(kind: StreamKind, raw: string): void {
  let data: unknown;
  try {
    data = JSON.parse(raw) as unknown;
  } catch {
    return;
  }
  for (const listener of listeners[kind] as Set<(d: unknown) => void>) listener(data);
}
