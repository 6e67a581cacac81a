import { useEffect, useState } from "preact/hooks";
import { api } from "../api/client";
import type { PushKind } from "../api/types";
import { ErrorBanner } from "../components/error-banner";

/** What a person can be pushed, in the order Instagram's settings list them; the compiler keeps it complete. */
const KINDS: Record<PushKind, string> = {
  likes: "Likes",
  comments: "Comments",
  mentions: "Mentions",
  follows: "New followers and follow requests",
  messages: "Direct messages",
};

type Support = "checking" | "unsupported" | "ready";

/** The application server key as PushManager takes it. */
function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const text = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

async function registration(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  return navigator.serviceWorker.ready;
}

/**
 * Push notifications for this browser: asks the browser's permission, registers the service worker, subscribes
 * with the server's VAPID key and tells the server which kinds to push. Pushes come only while the app is not
 * open (it shows everything live then).
 */
export function PushSettingsScreen() {
  const [support, setSupport] = useState<Support>("checking");
  const [subscription, setSubscription] = useState<PushSubscription | null>(null);
  const [kinds, setKinds] = useState<Set<PushKind>>(new Set(Object.keys(KINDS) as PushKind[]));
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      setSupport("unsupported");
      return;
    }
    setSupport("ready");
    registration()
      .then((reg) => reg.pushManager.getSubscription())
      .then(setSubscription, () => setSubscription(null));
  }, []);

  const save = async (chosen: Set<PushKind>) => {
    setBusy(true);
    setError(null);
    setStatus("");
    try {
      if (Notification.permission !== "granted" && (await Notification.requestPermission()) !== "granted") {
        setStatus("Notifications are blocked for this site. Allow them in the browser's site settings.");
        return;
      }
      const reg = await registration();
      let current = await reg.pushManager.getSubscription();
      if (current === null) {
        const { publicKey } = await api<{ publicKey: string }>("GET", "/push/key");
        current = await reg.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(publicKey),
        });
      }
      const json = current.toJSON();
      await api("POST", "/push/subscriptions", {
        body: { endpoint: json.endpoint, keys: json.keys, kinds: [...chosen] },
      });
      setSubscription(current);
      setStatus("Push notifications are on for this browser.");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const turnOff = async () => {
    if (subscription === null) return;
    setBusy(true);
    setError(null);
    try {
      await api("DELETE", "/push/subscriptions", { body: { endpoint: subscription.endpoint } }).catch(
        () => undefined,
      );
      await subscription.unsubscribe();
      setSubscription(null);
      setStatus("Push notifications are off for this browser.");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="push-settings stack">
      <h1>Push notifications</h1>
      {support === "unsupported" ? (
        <p>This browser cannot receive push notifications.</p>
      ) : (
        <>
          <p class="muted">
            Get a notification on this device when Mosaic is closed. While it is open, everything shows in the
            app.
          </p>
          <fieldset class="stack">
            <legend>Notify me of</legend>
            {(Object.keys(KINDS) as PushKind[]).map((kind) => (
              <label key={kind} class="row">
                <input
                  type="checkbox"
                  checked={kinds.has(kind)}
                  onChange={(e) => {
                    const next = new Set(kinds);
                    if (e.currentTarget.checked) next.add(kind);
                    else next.delete(kind);
                    setKinds(next);
                  }}
                />
                {KINDS[kind]}
              </label>
            ))}
          </fieldset>
          <div class="row">
            <button
              type="button"
              disabled={busy || support !== "ready" || kinds.size === 0}
              onClick={() => void save(kinds)}
            >
              {subscription ? "Save" : "Turn on push notifications"}
            </button>
            {subscription && (
              <button type="button" class="secondary" disabled={busy} onClick={() => void turnOff()}>
                Turn off
              </button>
            )}
          </div>
          {kinds.size === 0 && <p class="muted">Choose at least one, or turn push notifications off.</p>}
        </>
      )}
      <p role="status">{status}</p>
      <ErrorBanner error={error} />
    </section>
  );
}
