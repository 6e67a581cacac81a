import { signal } from "@preact/signals";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { JSX } from "preact";
import { api } from "../api/client";
import { session } from "../api/session";
import type { StoryGroup, StoryView, UserView } from "../api/types";
import { useSingleUpload } from "../api/use-upload";
import { Link } from "../router";
import { Avatar } from "./avatar";
import { ErrorBanner } from "./error-banner";
import "../styles/stories.css";

/** Bumped when stories were seen, added or deleted elsewhere (the viewer): the bar reads them again. */
export const storiesChanged = signal(0);

interface Rings {
  own: StoryView[];
  others: StoryGroup[];
}

/**
 * The row of story rings at the top of the feed: adding to your own story, your live stories, then the people
 * you follow with live stories, unseen first (the API's order).
 */
export function StoriesBar() {
  const me = session.value?.me;
  const [rings, setRings] = useState<Rings | null>(null);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);

  const load = useCallback(() => {
    if (!me) return;
    const mine = ++generation.current;
    setError(null);
    Promise.all([
      api<{ items: StoryView[] }>("GET", `/users/${encodeURIComponent(me.username)}/stories`),
      api<{ items: StoryGroup[] }>("GET", "/stories/feed"),
    ]).then(
      ([own, feed]) => {
        if (mine !== generation.current) return;
        setRings({ own: own.items, others: feed.items.filter((g) => g.user.id !== me.id) });
      },
      (err: unknown) => {
        if (mine === generation.current) setError(err);
      },
    );
  }, [me?.id, me?.username]);

  const changed = storiesChanged.value;
  useEffect(load, [load, changed]);
  useEffect(() => {
    // Stories expire and friends post new ones while the tab is elsewhere.
    const onFocus = () => load();
    const onVisible = () => document.visibilityState === "visible" && load();
    addEventListener("focus", onFocus);
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      removeEventListener("focus", onFocus);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [load]);

  const add = useAddStory(load, "everyone");
  const addForFriends = useAddStory(load, "close_friends");
  if (!me) return null;
  const ownSeen = rings?.own.every((s) => s.seenByMe) ?? false;
  return (
    <section class="stories-bar" aria-label="Stories">
      <ul class="stories-list" onKeyDown={moveFocusWithArrows}>
        <li class="story-item">{add.button}</li>
        <li class="story-item">{addForFriends.button}</li>
        {rings && rings.own.length > 0 && (
          <li class="story-item">
            <StoryRing
              user={me}
              label={`${me.username}'s story, ${ownSeen ? "seen" : "unseen"}`}
              caption="Your story"
              seen={ownSeen}
            />
          </li>
        )}
        {rings?.others.map((group) => (
          <li class="story-item" key={group.user.id}>
            <StoryRing
              user={group.user}
              label={`${group.user.username}'s story, ${group.allSeen ? "seen" : "unseen"}`}
              caption={group.user.username}
              seen={group.allSeen}
            />
          </li>
        ))}
      </ul>
      {rings === null && error === null && (
        <p class="muted stories-status" role="status">
          Loading…
        </p>
      )}
      {add.status}
      {addForFriends.status}
      <ErrorBanner error={error} onRetry={load} />
    </section>
  );
}

/**
 * A ring that links to someone's stories. The caption sits outside the link (which is stretched over the whole
 * item by CSS) so that the link's name is exactly its label: no visible text in it that the name would not say.
 */
function StoryRing(props: {
  user: Pick<UserView, "username" | "avatarUrl">;
  label: string;
  caption: string;
  seen: boolean;
}) {
  return (
    <>
      <Link
        href={`/stories/${encodeURIComponent(props.user.username)}`}
        class="story-link"
        aria-label={props.label}
      >
        <span class={`story-ring ${props.seen ? "story-ring-seen" : "story-ring-unseen"}`}>
          <Avatar user={props.user} size="m" />
        </span>
      </Link>
      <span class="story-caption" aria-hidden="true">
        {props.caption}
      </span>
    </>
  );
}

/** Picking a photo or video, uploading it with its progress, and posting it as a story for `audience`. */
function useAddStory(onAdded: () => void, audience: StoryView["audience"]) {
  const forFriends = audience === "close_friends";
  const input = useRef<HTMLInputElement>(null);
  const upload = useSingleUpload();
  const [done, setDone] = useState(false);
  const { progress, busy } = upload;

  const onChange = (event: JSX.TargetedEvent<HTMLInputElement>) => {
    const file = event.currentTarget.files?.[0];
    // Picking the same file again must fire a change too.
    event.currentTarget.value = "";
    if (!file) return;
    setDone(false);
    void upload.start(file, async (media, signal) => {
      await api("POST", "/stories", { body: { mediaId: media.id, audience }, signal });
      setDone(true);
      onAdded();
    });
  };

  const button = (
    <>
      <button type="button" class="story-add-button" onClick={() => input.current?.click()} disabled={busy}>
        <span
          class={`story-ring story-ring-add ${forFriends ? "story-ring-friends" : ""}`}
          aria-hidden="true"
        >
          <span class="story-plus">{forFriends ? "★" : "+"}</span>
        </span>
        <span class="story-caption">{forFriends ? "Close friends story" : "Add to your story"}</span>
      </button>
      {/* The button opens the picker; the input stays out of the tab order but keeps its label. */}
      <label class="visually-hidden">
        {forFriends ? "Photo or video for close friends" : "Story photo or video"}
        <input ref={input} type="file" accept="image/*,video/*" tabIndex={-1} onChange={onChange} />
      </label>
    </>
  );

  const status = (
    <div class="story-add-status">
      {progress && (
        <progress
          aria-label={forFriends ? "Uploading your close friends story" : "Uploading your story"}
          max={progress.size || 1}
          value={progress.sent}
        />
      )}
      <span class={busy ? "muted" : "visually-hidden"} role="status">
        {progress?.phase === "retrying"
          ? "Connection lost, retrying…"
          : busy
            ? forFriends
              ? "Adding to your close friends story…"
              : "Adding to your story…"
            : done
              ? forFriends
                ? "Added to your story, for close friends"
                : "Added to your story"
              : ""}
      </span>
      <ErrorBanner error={upload.error} />
    </div>
  );
  return { button, status };
}

/** Left and right arrows move between the rings, as in a toolbar; Tab still walks them too. */
function moveFocusWithArrows(event: JSX.TargetedKeyboardEvent<HTMLUListElement>): void {
  if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
  const targets = [...event.currentTarget.querySelectorAll<HTMLElement>("a, button:not(:disabled)")];
  const at = targets.indexOf(document.activeElement as HTMLElement);
  if (at < 0) return;
  const next = targets[at + (event.key === "ArrowRight" ? 1 : -1)];
  if (!next) return;
  event.preventDefault();
  next.focus();
  next.scrollIntoView({ block: "nearest", inline: "nearest" });
}
