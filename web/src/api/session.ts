import { signal } from "@preact/signals";
import type { UserView } from "./types";

const TOKEN_KEY = "mosaic.token";

export interface Session {
  token: string;
  /** The signed-in user as `/api/me` last answered. */
  me: UserView;
}

/** The signed-in person, or null. */
export const session = signal<Session | null>(null);

/** Why the last session ended, shown once on the sign-in screen. */
export const signOutReason = signal<string | null>(null);

export function storedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function signIn(token: string, me: UserView): void {
  try {
    localStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Private mode without storage: the session lasts as long as the tab.
  }
  signOutReason.value = null;
  session.value = { token, me };
}

export function updateMe(me: UserView): void {
  if (session.value) session.value = { ...session.value, me };
}

export function signOut(reason: string | null = null): void {
  try {
    localStorage.removeItem(TOKEN_KEY);
  } catch {
    // See signIn.
  }
  signOutReason.value = reason;
  session.value = null;
}
