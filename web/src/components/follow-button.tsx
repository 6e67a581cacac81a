import { useEffect, useRef, useState } from "preact/hooks";
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
  const [error, setError] = useState<unknown>(null);
  // The state the last click asked for, and the request behind it: a click during a request waits its turn
  // rather than being lost (the button stays enabled, so keyboard focus stays on it).
  const current = useRef<State>(given);
  const queue = useRef<Promise<void>>(Promise.resolve());
  const latest = useRef(user);
  latest.current = user;

  // A parent that reloaded the user (or reused this button for another one) has the last word.
  useEffect(() => {
    current.current = given;
    setState(given);
  }, [user.id, given]);

  if (!user.relationship || user.relationship.blocking) return null;

  const change = async () => {
    // The user as it stood before this change: what a rollback returns to.
    const base = latest.current;
    const prev = current.current;
    const guess: State = prev === "none" ? (base.isPrivate ? "requested" : "following") : "none";
    setError(null);
    current.current = guess;
    setState(guess);
    onChange?.(withState(base, prev, guess));
    const path = `/users/${encodeURIComponent(base.username)}/follow`;
    try {
      const answer = await api<{ state: State }>(prev === "none" ? "POST" : "DELETE", path);
      current.current = answer.state;
      setState(answer.state);
      if (answer.state !== guess) onChange?.(withState(base, prev, answer.state));
    } catch (err) {
      current.current = prev;
      setState(prev);
      onChange?.(withState(base, prev, prev));
      setError(err);
    }
  };
  const toggle = () => {
    queue.current = queue.current.then(change);
  };

  return (
    <span class="follow-button">
      <button type="button" class={state === "none" ? undefined : "secondary"} onClick={toggle}>
        {LABELS[state]}
      </button>
      <ErrorBanner error={error} />
    </span>
  );
}
