import { useEffect, useState } from "preact/hooks";
import { api } from "../api/client";
import type { Relationship, UserView } from "../api/types";
import { ErrorBanner } from "./error-banner";
import "../styles/people.css";

type State = "none" | "following" | "requested";

function stateOf(relationship: Relationship | undefined): State {
  if (relationship?.following) return "following";
  if (relationship?.requested) return "requested";
  return "none";
}

/** The user as it stands once the caller's follow is `next` (was `prev`): the relationship and follower count. */
function withState(user: UserView, prev: State, next: State): UserView {
  const relationship = user.relationship ?? {
    following: false,
    followedBy: false,
    requested: false,
    blocking: false,
  };
  const delta = (next === "following" ? 1 : 0) - (prev === "following" ? 1 : 0);
  return {
    ...user,
    relationship: { ...relationship, following: next === "following", requested: next === "requested" },
    counts: { ...user.counts, followers: Math.max(0, user.counts.followers + delta) },
  };
}

const LABELS: Record<State, string> = { none: "Follow", following: "Unfollow", requested: "Cancel request" };

/**
 * Follow, unfollow or withdraw a request, by the relationship the API gave. The change shows at once and is
 * undone if the API refuses it; `onChange` hears every change (follower count included) so a profile stays right.
 * Nothing for oneself (no relationship) or someone one blocks (the profile offers "Unblock" instead).
 */
export function FollowButton(props: { user: UserView; onChange?: (user: UserView) => void }) {
  const { user, onChange } = props;
  const given = stateOf(user.relationship);
  const [state, setState] = useState<State>(given);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  // A parent that reloaded the user (or reused this button for another one) has the last word.
  useEffect(() => setState(given), [user.id, given]);

  if (!user.relationship || user.relationship.blocking) return null;

  const toggle = async () => {
    const prev = state;
    const guess: State = prev === "none" ? (user.isPrivate ? "requested" : "following") : "none";
    setError(null);
    setBusy(true);
    setState(guess);
    onChange?.(withState(user, prev, guess));
    const path = `/users/${encodeURIComponent(user.username)}/follow`;
    try {
      const answer = await api<{ state: State }>(prev === "none" ? "POST" : "DELETE", path);
      setState(answer.state);
      if (answer.state !== guess) onChange?.(withState(user, prev, answer.state));
    } catch (err) {
      setState(prev);
      onChange?.(withState(user, prev, prev));
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <span class="follow-button">
      <button
        type="button"
        class={state === "none" ? undefined : "secondary"}
        disabled={busy}
        onClick={() => void toggle()}
      >
        {LABELS[state]}
      </button>
      <ErrorBanner error={error} />
    </span>
  );
}
