import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api } from "../api/client";
import { signIn, signOutReason } from "../api/session";
import type { SignedIn, VerificationPending } from "../api/types";
import { ErrorBanner } from "../components/error-banner";
import { Link, navigate } from "../router";

/** Sign in (username or email, password) and sign up (username, email, password, display name). */
export function AuthScreen(props: { mode: "signin" | "signup" }) {
  const signup = props.mode === "signup";
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<string | null>(null);

  const submit = async (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const field = (name: string) => {
      const value = form.get(name);
      return typeof value === "string" ? value : "";
    };
    setBusy(true);
    setError(null);
    try {
      const answer = signup
        ? await api<SignedIn | VerificationPending>("POST", "/auth/signup", {
            body: {
              username: field("username").trim().toLowerCase(),
              email: field("email").trim(),
              password: field("password"),
              ...(field("displayName").trim() && { displayName: field("displayName").trim() }),
            },
          })
        : await api<SignedIn>("POST", "/auth/login", {
            body: { login: field("login").trim(), password: field("password") },
          });
      if (!("token" in answer)) {
        // EMAIL_VERIFICATION=required: no session until the mailed link is followed.
        setPending(answer.user.email ?? field("email").trim());
        setBusy(false);
        return;
      }
      signIn(answer.token, answer.user);
      navigate("/", { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main id="main" class="auth">
      <h1 class="brand-large">Mosaic</h1>
      <p class="muted">Share photos and videos with the people you follow.</p>
      {signOutReason.value && <p role="status">{signOutReason.value}</p>}
      {pending !== null && (
        <p role="status" class="card">
          Almost there: we sent a link to {pending}. Follow it to confirm your address, then sign in.
        </p>
      )}
      <form class="card stack" onSubmit={(e) => void submit(e)} aria-labelledby="auth-title">
        <h2 id="auth-title">{signup ? "Create your account" : "Sign in"}</h2>
        {signup ? (
          <>
            <label>
              Username
              <input
                name="username"
                required
                minLength={3}
                maxLength={30}
                pattern="[a-zA-Z0-9._]+"
                autoComplete="username"
                title="3–30 letters, digits, dots or underscores"
              />
            </label>
            <label>
              Email
              <input name="email" type="email" required autoComplete="email" />
            </label>
            <label>
              Display name <span class="muted">(optional)</span>
              <input name="displayName" maxLength={64} autoComplete="name" />
            </label>
          </>
        ) : (
          <label>
            Username or email
            <input name="login" required autoComplete="username" />
          </label>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            required
            minLength={8}
            autoComplete={signup ? "new-password" : "current-password"}
          />
        </label>
        <ErrorBanner error={error} />
        <button type="submit" disabled={busy}>
          {signup ? "Sign up" : "Sign in"}
        </button>
      </form>
      <p>
        {signup ? (
          <>
            Have an account? <Link href="/signin">Sign in</Link>
          </>
        ) : (
          <>
            New to Mosaic? <Link href="/signup">Create an account</Link> ·{" "}
            <Link href="/forgot-password">Forgot your password?</Link>
          </>
        )}
      </p>
    </main>
  );
}
