import type { JSX } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, page } from "../api/client";
import { session } from "../api/session";
import type { StoryView, UserView } from "../api/types";
import { Avatar } from "../components/avatar";
import { ErrorBanner } from "../components/error-banner";
import { ChevronIcon } from "../components/icons";
import { MediaView } from "../components/media-view";
import { PagedFooter, usePaged } from "../components/paged-list";
import { storiesChanged } from "../components/stories-bar";
import { usePrefersReducedMotion } from "../components/use-reduced-motion";
import { UserList } from "../components/user-row";
import { Link, navigate } from "../router";
import { TimeAgo } from "../components/time";
import { CloseFriendsBadge } from "../components/close-friends-badge";
import { ReportButton } from "../components/report-dialog";
import "../styles/stories.css";

type Panel = "viewers" | "delete" | null;

/** One person's live stories, one at a time, oldest first, starting at the first one not seen yet. */
export function StoryViewerScreen(props: { username: string }) {
  const { username } = props;
  const me = session.value?.me;
  const [stories, setStories] = useState<StoryView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [index, setIndex] = useState(0);

  const load = useCallback(() => {
    setError(null);
    setStories(null);
    const controller = new AbortController();
    api<{ items: StoryView[] }>("GET", `/users/${encodeURIComponent(username)}/stories`, {
      signal: controller.signal,
    }).then(
      (answer) => {
        const firstUnseen = answer.items.findIndex((s) => !s.seenByMe);
        setIndex(firstUnseen < 0 ? 0 : firstUnseen);
        setStories(answer.items);
      },
      (err: unknown) => {
        if (!(err instanceof DOMException && err.name === "AbortError")) setError(err);
      },
    );
    return () => controller.abort();
  }, [username]);
  useEffect(load, [load]);

  // A story posted a moment ago may still be processing: asked for again until its media is ready.
  const processing = stories?.some((s) => s.media.status === "processing") ?? false;
  useEffect(() => {
    if (!processing) return;
    const timer = setTimeout(() => {
      api<{ items: StoryView[] }>("GET", `/users/${encodeURIComponent(username)}/stories`).then(
        (answer) =>
          setStories(
            (old) =>
              old?.map((s) => {
                const fresh = answer.items.find((f) => f.id === s.id);
                return fresh ? { ...s, media: fresh.media } : s;
              }) ?? null,
          ),
        (err: unknown) => setError(err),
      );
    }, 2000);
    return () => clearTimeout(timer);
  }, [processing, stories]);

  const title = (
    <h1 class="story-title" id="story-heading">
      {username}'s story
    </h1>
  );
  if (error !== null) {
    return (
      <section class="story-screen">
        {title}
        <ErrorBanner error={error} onRetry={load} />
        <Link href="/">Back to your feed</Link>
      </section>
    );
  }
  if (stories === null) {
    return (
      <section class="story-screen">
        {title}
        <p role="status">Loading…</p>
      </section>
    );
  }
  const story = stories[Math.min(index, stories.length - 1)];
  if (!story) {
    return (
      <section class="story-screen">
        {title}
        <p>No live stories</p>
        <Link href="/">Back to your feed</Link>
      </section>
    );
  }
  return (
    <Viewer
      key={username}
      me={me}
      title={title}
      stories={stories}
      index={Math.min(index, stories.length - 1)}
      story={story}
      setIndex={setIndex}
      setStories={setStories}
    />
  );
}

function Viewer(props: {
  me: UserView | undefined;
  title: JSX.Element;
  stories: StoryView[];
  index: number;
  story: StoryView;
  setIndex: (i: number) => void;
  setStories: (update: (s: StoryView[] | null) => StoryView[] | null) => void;
}) {
  const { stories, index, story, setIndex, setStories } = props;
  const isAuthor = props.me?.id === story.author.id;
  const [paused, setPaused] = useState(false);
  const [panel, setPanel] = useState<Panel>(null);
  const [viewError, setViewError] = useState<unknown>(null);
  const reducedMotion = usePrefersReducedMotion();
  const stage = useRef<HTMLDivElement>(null);
  const viewed = useRef(new Set<string>());

  const close = () => navigate("/");
  const next = () => {
    if (index + 1 < stories.length) setIndex(index + 1);
    else close();
  };
  const previous = () => {
    if (index > 0) setIndex(index - 1);
  };

  const isImage = story.media.type === "image";
  const autoAdvance = isImage && !reducedMotion;
  // Not moving on from a story the person cannot see yet.
  const holding = paused || panel !== null || story.media.status === "processing";

  // Seen once it is shown: the API records it once anyway, this saves the calls.
  useEffect(() => {
    if (isAuthor || story.seenByMe || viewed.current.has(story.id)) return;
    viewed.current.add(story.id);
    api("POST", `/stories/${story.id}/view`).then(
      () => {
        setStories((all) => all?.map((s) => (s.id === story.id ? { ...s, seenByMe: true } : s)) ?? null);
        storiesChanged.value++;
      },
      (err: unknown) => setViewError(err),
    );
  }, [story.id]);

  // A video plays on its own and moves on when it ends.
  useEffect(() => {
    setPanel(null);
    const video = stage.current?.querySelector("video");
    if (!video) return;
    if (!reducedMotion) video.play().catch(() => undefined);
    const onEnded = () => next();
    video.addEventListener("ended", onEnded);
    return () => video.removeEventListener("ended", onEnded);
  }, [story.id, story.media.status, reducedMotion]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      // Arrows and Escape belong to a control that has the focus (a video's seek bar, a text box).
      if (event.target instanceof Element && event.target.closest("input, textarea, select, video")) return;
      if (event.key === "ArrowRight") next();
      else if (event.key === "ArrowLeft") previous();
      else if (event.key === "Escape") close();
      else return;
      event.preventDefault();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  });

  const remove = async () => {
    try {
      await api("DELETE", `/stories/${story.id}`);
      storiesChanged.value++;
      setPanel(null);
      setStories((all) => all?.filter((s) => s.id !== story.id) ?? null);
      setIndex(Math.max(0, Math.min(index, stories.length - 2)));
    } catch (err) {
      setViewError(err);
    }
  };

  return (
    <section class="story-screen" aria-labelledby="story-heading">
      <div class="story-progress-row" aria-hidden="true">
        {stories.map((s, i) => (
          <span class="story-segment" key={s.id}>
            {i < index && <span class="story-fill story-fill-done" />}
            {i === index && (
              <span
                key={s.id}
                class={`story-fill ${autoAdvance ? "story-fill-running" : "story-fill-done"} ${
                  holding ? "story-fill-paused" : ""
                }`}
                onAnimationEnd={autoAdvance ? next : undefined}
              />
            )}
          </span>
        ))}
      </div>
      <div class="story-head">
        <Avatar user={story.author} />
        <div class="story-head-text">
          {props.title}
          <TimeAgo iso={story.createdAt} class="muted" />
          {story.audience === "close_friends" && <CloseFriendsBadge />}
        </div>
        <span class="visually-hidden" aria-live="polite">
          Story {index + 1} of {stories.length}
        </span>
        {autoAdvance && (
          <button type="button" class="secondary" onClick={() => setPaused(!paused)}>
            {paused ? "Play" : "Pause"}
          </button>
        )}
        {!isAuthor && (
          // Paused while the person says what is wrong with it, so the story does not move on under them.
          <span onClickCapture={() => setPaused(true)}>
            <ReportButton target={{ type: "story", id: story.id }} class="secondary" />
          </span>
        )}
        <button type="button" class="secondary" onClick={close}>
          Close
        </button>
      </div>
      <div class="story-stage" ref={stage}>
        <MediaView
          key={story.id}
          media={story.media}
          alt={story.media.altText ?? `Story by ${story.author.username}`}
          sizes="(max-width: 640px) 100vw, 480px"
        />
        <button
          type="button"
          class="story-nav story-nav-previous"
          aria-label="Previous story"
          onClick={previous}
          disabled={index === 0}
        >
          <ChevronIcon left />
        </button>
        <button type="button" class="story-nav story-nav-next" aria-label="Next story" onClick={next}>
          <ChevronIcon />
        </button>
      </div>
      <ErrorBanner error={viewError} />
      {isAuthor && (
        <div class="row story-actions">
          <button
            type="button"
            class="secondary"
            aria-expanded={panel === "viewers"}
            onClick={() => setPanel(panel === "viewers" ? null : "viewers")}
          >
            Viewers
          </button>
          <button
            type="button"
            class="secondary"
            aria-expanded={panel === "delete"}
            onClick={() => setPanel(panel === "delete" ? null : "delete")}
          >
            Delete story
          </button>
        </div>
      )}
      {isAuthor && panel === "viewers" && <StoryViewers storyId={story.id} />}
      {isAuthor && panel === "delete" && (
        <div class="card story-confirm" role="group" aria-label="Delete this story?">
          <p>Delete this story? It is gone for everyone at once.</p>
          <div class="row">
            <button type="button" class="danger" onClick={() => void remove()}>
              Yes, delete
            </button>
            <button type="button" class="secondary" onClick={() => setPanel(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

/** Who saw the story (its author only). */
function StoryViewers(props: { storyId: string }) {
  const state = usePaged<UserView>(
    (cursor) => page(`/stories/${props.storyId}/viewers`, cursor),
    [props.storyId],
  );
  return (
    <section class="card story-viewers" aria-labelledby="story-viewers-heading">
      <h2 id="story-viewers-heading">Viewers</h2>
      <UserList users={state.items} />
      <PagedFooter state={state} empty="No one has seen it yet." />
    </section>
  );
}
