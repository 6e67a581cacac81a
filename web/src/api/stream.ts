import { effect, signal } from "@preact/signals";
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

/**
 * One EventSource while someone is signed in. The browser reconnects by itself and sends `Last-Event-ID`, so
 * nothing sent while it was away is missed. EventSource cannot send headers: the token goes in the query.
 */
export function startStream(): () => void {
  let source: EventSource | undefined;
  return effect(() => {
    const token = session.value?.token;
    source?.close();
    source = undefined;
    streamConnected.value = false;
    if (!token) return;
    const opened = new EventSource(`/api/stream?access_token=${encodeURIComponent(token)}`);
    source = opened;
    opened.onopen = () => (streamConnected.value = true);
    opened.onerror = () => (streamConnected.value = false);
    for (const kind of Object.keys(listeners) as StreamKind[]) {
      opened.addEventListener(kind, (event) => dispatch(kind, (event as MessageEvent<string>).data));
    }
  });
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
