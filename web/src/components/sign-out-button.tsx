import { api } from "../api/client";
import { signOut } from "../api/session";
import { navigate } from "../router";

/** Ends the session on the server (if it can be reached: signing out works offline too) and in this tab. */
async function logOut(): Promise<void> {
  await api("POST", "/auth/logout").catch(() => undefined);
  signOut();
  navigate("/signin");
}

/** "Sign out": in the desktop navigation, and on one's own profile on a phone (whose navigation has no room). */
export function SignOutButton(props: { class?: string }) {
  return (
    <button type="button" class={props.class} onClick={() => void logOut()}>
      Sign out
    </button>
  );
}
