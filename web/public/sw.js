/* global URL */
/**
 * Mosaic's service worker: it shows each Web Push as a system notification and, on a click, opens the app where
 * the push leads (a post, a conversation), in a tab already open when there is one. The payload is the server's
 * PushPayload (lib/push/params.ts): kind, title, body, url, tag.
 */
const worker = globalThis;

worker.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const title = typeof data.title === "string" && data.title !== "" ? data.title : "Mosaic";
  const path = typeof data.url === "string" && data.url.startsWith("/") ? data.url : "/notifications";
  event.waitUntil(
    worker.registration.showNotification(title, {
      body: typeof data.body === "string" ? data.body : "",
      tag: typeof data.tag === "string" ? data.tag : undefined,
      data: { url: path },
    }),
  );
});

worker.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url ?? "/", worker.location.origin);
  // Only ever a page of this app.
  if (target.origin !== worker.location.origin) return;
  event.waitUntil(
    (async () => {
      const windows = await worker.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) {
        if ("focus" in client) {
          await client.navigate(target.href).catch(() => undefined);
          return client.focus();
        }
      }
      return worker.clients.openWindow(target.href);
    })(),
  );
});
