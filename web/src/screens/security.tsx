import { useState } from "preact/hooks";
import { api } from "../api/client";
import type { SessionView } from "../api/types";
import { useLoad } from "../api/use-load";
import { ErrorBanner } from "../components/error-banner";
import { TimeAgo } from "../components/time";
import { session, signOut } from "../api/session";
import { DataExport } from "./data-export";
import "../styles/profile.css";

const MIN_PASSWORD = 8;

/** Password and sessions: change the password, see where one is signed in, sign sessions out. */
export function SecurityScreen() {
  return (
    <section class="security">
      <h1>Password and sessions</h1>
      <EmailStatus />
      <PasswordForm />
      <SessionsList />
      <DataExport />
      <DeleteAccount />
    </section>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setStatus("");
    try {
      await api("POST", "/me/password", { body: { currentPassword: current, newPassword: next } });
      setCurrent("");
      setNext("");
      setStatus("Password changed. Every other session was signed out.");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card stack" onSubmit={(e) => void submit(e)}>
      <h2>Change password</h2>
      <label>
        Current password
        <input
          type="password"
          autoComplete="current-password"
          value={current}
          required
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
      </label>
      <label>
        New password
        <input
          type="password"
          autoComplete="new-password"
          minLength={MIN_PASSWORD}
          value={next}
          required
          aria-describedby="new-password-hint"
          onInput={(e) => setNext(e.currentTarget.value)}
        />
      </label>
      <p id="new-password-hint" class="muted hint">
        At least {MIN_PASSWORD} characters. Changing it signs out every other device.
      </p>
      <ErrorBanner error={error} />
      <div class="row">
        <button type="submit" disabled={busy}>
          Change password
        </button>
        <p role="status">{status}</p>
      </div>
    </form>
  );
}

function SessionsList() {
  const { value, error, reload } = useLoad(
    (signal) => api<{ items: SessionView[] }>("GET", "/me/sessions", { signal }),
    [],
  );
  const [actionError, setActionError] = useState<unknown>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);

  const end = async (path: string, done: string) => {
    setBusy(true);
    setActionError(null);
    try {
      await api("DELETE", path);
      setStatus(done);
      reload();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };

  const sessions = value?.items ?? [];
  const others = sessions.filter((s) => !s.current);
  return (
    <div class="card stack">
      <h2>Where you’re signed in</h2>
      <ErrorBanner error={error ?? actionError} onRetry={reload} />
      <ul class="session-list">
        {sessions.map((s) => (
          <li key={s.id} class="session-row">
            <span class="stack">
              <strong>{s.userAgent || "Unknown device"}</strong>
              <span class="muted hint">
                {s.address || "unknown address"} · signed in <TimeAgo iso={s.createdAt} /> · last used{" "}
                <TimeAgo iso={s.lastUsedAt} />
              </span>
            </span>
            {s.current ? (
              <span class="muted">This device</span>
            ) : (
              <button
                type="button"
                class="secondary"
                disabled={busy}
                aria-label={`Sign out ${s.userAgent || "this session"}, signed in ${new Date(s.createdAt).toLocaleString()}`}
                onClick={() => void end(`/me/sessions/${s.id}`, "Signed that session out.")}
              >
                Sign out
              </button>
            )}
          </li>
        ))}
      </ul>
      {others.length > 0 && (
        <button
          type="button"
          class="secondary"
          disabled={busy}
          onClick={() => void end("/me/sessions", "Signed out everywhere else.")}
        >
          Sign out everywhere else
        </button>
      )}
      <p role="status">{status}</p>
    </div>
  );
}

/** The account's address, and another confirmation link when it is not confirmed yet. */
function EmailStatus() {
  const me = session.value?.me;
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (me?.email === undefined) return null;
  const email = me.email;
  const resend = async () => {
    setError(null);
    try {
      await api("POST", "/auth/email/verification", { body: { email } });
      setSent(true);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div class="card stack">
      <h2>Email address</h2>
      <p>
        {email} · {me.emailVerified ? "confirmed" : "not confirmed yet"}
      </p>
      {!me.emailVerified &&
        (sent ? (
          <p role="status">We sent a new link to {email}.</p>
        ) : (
          <button type="button" class="secondary" onClick={() => void resend()}>
            Send the confirmation link again
          </button>
        ))}
      <ErrorBanner error={error} />
    </div>
  );
}

/** Deleting the account: hidden at once, erased after the grace period unless its owner signs in before. */
function DeleteAccount() {
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!confirm("Delete your account? Your profile, posts and comments disappear for everyone now.")) return;
    setBusy(true);
    setError(null);
    try {
      const { eraseAfter } = await api<{ eraseAfter: string }>("DELETE", "/me", { body: { password } });
      signOut(
        `Your account is deleted. Sign in before ${new Date(eraseAfter).toLocaleDateString()} to take it back; after that it is erased for good.`,
      );
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form class="card stack" onSubmit={(e) => void submit(e)}>
      <h2>Delete account</h2>
      <p class="muted">
        Your account is hidden from everyone at once and every device is signed out. Signing in again within
        the grace period takes it back; after it, everything you posted is erased.
      </p>
      <label>
        Password
        <input
          type="password"
          required
          autoComplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <ErrorBanner error={error} />
      <div class="row">
        <button type="submit" class="danger" disabled={busy || password === ""}>
          Delete my account
        </button>
      </div>
    </form>
  );
}
