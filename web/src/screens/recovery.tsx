import type { ComponentChildren, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "../api/client";
import { session } from "../api/session";
import { ErrorBanner } from "../components/error-banner";
import { currentQuery, Link } from "../router";

function AuthPage(props: { title: string; children: ComponentChildren }) {
  return (
    <main id="main" class="auth">
      <h1 class="brand-large">Mosaic</h1>
      <section class="card stack" aria-labelledby="recovery-title">
        <h2 id="recovery-title">{props.title}</h2>
        {props.children}
      </section>
      <p>
        <Link href={session.value ? "/" : "/signin"}>
          {session.value ? "Back to Mosaic" : "Back to sign in"}
        </Link>
      </p>
    </main>
  );
}

/** "Forgot your password?": a link is mailed if an account has the address (the page never says whether). */
export function ForgotPasswordScreen() {
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    const email = new FormData(event.currentTarget).get("email");
    setBusy(true);
    setError(null);
    try {
      await api("POST", "/auth/password-reset", {
        body: { email: typeof email === "string" ? email.trim() : "" },
      });
      setSent(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthPage title="Reset your password">
      {sent ? (
        <p role="status">
          If an account has this address, we have sent it a link to choose a new password. The link works
          once, for an hour.
        </p>
      ) : (
        <form class="stack" onSubmit={(e) => void submit(e)}>
          <label>
            Email
            <input name="email" type="email" required autoComplete="email" />
          </label>
          <ErrorBanner error={error} />
          <button type="submit" disabled={busy}>
            Send me a link
          </button>
        </form>
      )}
    </AuthPage>
  );
}

/** The page a reset link opens: a new password, then every device is signed out. */
export function ResetPasswordScreen() {
  const token = currentQuery.value.get("token") ?? "";
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    const password = new FormData(event.currentTarget).get("password");
    setBusy(true);
    setError(null);
    try {
      await api("POST", "/auth/password-reset/confirm", {
        body: { token, password: typeof password === "string" ? password : "" },
      });
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthPage title="Choose a new password">
      {done ? (
        <p role="status">
          Your password is changed, and every device is signed out. <Link href="/signin">Sign in</Link> with
          the new one.
        </p>
      ) : (
        <form class="stack" onSubmit={(e) => void submit(e)}>
          <label>
            New password
            <input name="password" type="password" required minLength={8} autoComplete="new-password" />
          </label>
          <ErrorBanner error={error} />
          <button type="submit" disabled={busy || token === ""}>
            Change password
          </button>
          <p class="muted">
            Link expired? <Link href="/forgot-password">Ask for another</Link>.
          </p>
        </form>
      )}
    </AuthPage>
  );
}

/** The page a verification link opens: the address is confirmed at once. */
export function VerifyEmailScreen() {
  const token = currentQuery.value.get("token") ?? "";
  const [state, setState] = useState<"checking" | "done" | "failed">("checking");
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api("POST", "/auth/email/verify", { body: { token } }).then(
      () => {
        setState("done");
        const current = session.value;
        if (current) session.value = { ...current, me: { ...current.me, emailVerified: true } };
      },
      (err: unknown) => {
        setError(err);
        setState("failed");
      },
    );
  }, [token]);

  return (
    <AuthPage title="Confirm your email address">
      {state === "checking" && <p role="status">Confirming…</p>}
      {state === "done" && <p role="status">Your email address is confirmed. Thank you!</p>}
      {state === "failed" && <ErrorBanner error={error} />}
    </AuthPage>
  );
}
