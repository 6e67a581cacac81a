import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/client";
import type { MediaView as Media, PostView } from "../api/types";
import { Link } from "../router";
import { Avatar } from "./avatar";
import { ErrorBanner } from "./error-banner";
import { MediaView } from "./media-view";
import "../styles/posts.css";

/*
 * The server's own rules (lib/posts/caption.ts), so a caption links exactly the tags and mentions the server
 * recorded: `#` or `@` at the start or after a character that cannot be part of a word.
 */
const TOKEN =
  /(^|[^\p{L}\p{N}_&/])#([\p{L}\p{N}_]{1,100})|(^|[^\p{L}\p{N}_.@/])@([A-Za-z0-9._]{3,30})(?![A-Za-z0-9_])/gu;

/**
 * A caption or comment as text, its #tags linked to their tag page and its @mentions to the profile. Built as
 * nodes, never as HTML: what people write is never markup.
 */
export function CaptionText(props: { text: string; mentions?: readonly string[] }) {
  const { text } = props;
  const mentions = props.mentions && new Set(props.mentions.map((m) => m.toLowerCase()));
  const parts: ComponentChildren[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const prefix = match[1] ?? match[3] ?? "";
    const start = match.index + prefix.length;
    const tag = match[2];
    // The server drops trailing dots from a mention ("@bob." mentions bob).
    const name = match[4]?.replace(/\.+$/, "");
    let link: ComponentChildren = null;
    let end = start;
    if (tag !== undefined && !/^\p{N}+$/u.test(tag)) {
      end = start + 1 + tag.length;
      link = (
        <Link key={start} href={`/tags/${encodeURIComponent(tag.toLowerCase())}`} class="caption-link">
          #{tag}
        </Link>
      );
    } else if (name !== undefined && name.length >= 3 && (!mentions || mentions.has(name.toLowerCase()))) {
      end = start + 1 + name.length;
      link = (
        <Link key={start} href={`/u/${encodeURIComponent(name.toLowerCase())}`} class="caption-link">
          @{name}
        </Link>
      );
    }
    if (link === null) continue;
    if (start > last) parts.push(text.slice(last, start));
    parts.push(link);
    last = end;
  }
  if (last < text.length) parts.push(text.slice(last));
  return <span class="caption-text">{parts}</span>;
}

const RELATIVE = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
];

/** "5 minutes ago" for the last week, a date after that (as Instagram does). */
export function relativeTime(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  let amount = Math.max(0, (now - then) / 1000);
  if (amount < 30) return "just now";
  for (const [unit, size] of STEPS) {
    if (amount < size) return RELATIVE.format(-Math.floor(amount), unit);
    amount /= size;
  }
  const date = new Date(then);
  return date.toLocaleDateString("en", {
    month: "short",
    day: "numeric",
    year: date.getFullYear() === new Date(now).getFullYear() ? undefined : "numeric",
  });
}

/** A `<time>` with its relative text; the full date shows on hover. */
export function TimeAgo(props: { iso: string }) {
  return (
    <time dateTime={props.iso} title={new Date(props.iso).toLocaleString("en")}>
      {relativeTime(props.iso)}
    </time>
  );
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Captions longer than this are cut in the feed, with a "more" button (the post page shows them whole). */
const CAPTION_PREVIEW = 140;

/**
 * One post: author, media carousel, like / comment / share / save, counts and caption. Likes and saves change on
 * screen at once and are corrected by the server's answer; `onChange` hands the changed post to the list that
 * holds it, so it survives re-renders of that list.
 */
export function PostCard(props: {
  post: PostView;
  /** The post page: the whole caption, and "Comments" moves to the comment box rather than to the page. */
  large?: boolean;
  onChange?: (post: PostView) => void;
  /** Extra controls in the header (the post page's "Delete post"). */
  actions?: ComponentChildren;
}) {
  const [post, setPost] = useState(props.post);
  const current = useRef(post);
  const [error, setError] = useState<unknown>(null);
  const [sharing, setSharing] = useState(false);
  const [expanded, setExpanded] = useState(false);
  const likeQueue = useRef<Promise<unknown>>(Promise.resolve());
  const likeSeq = useRef(0);
  const saveSeq = useRef(0);

  useEffect(() => {
    current.current = props.post;
    setPost(props.post);
  }, [props.post]);

  // Media still processing (a post just shared): read the post again now and then until they are ready.
  const processing = post.media.some((m) => m.status === "processing");
  useEffect(() => {
    if (!processing) return;
    let tries = 0;
    let timer: ReturnType<typeof setTimeout>;
    const abort = new AbortController();
    const poll = () => {
      timer = setTimeout(
        () => {
          api<PostView>("GET", `/posts/${current.current.id}`, { signal: abort.signal }).then(
            (fresh) => {
              if (fresh.media.some((m) => m.status === "processing") && ++tries < 40) poll();
              else apply({ ...current.current, media: fresh.media });
            },
            () => {
              if (!abort.signal.aborted && ++tries < 40) poll();
            },
          );
        },
        Math.min(1000 + tries * 1000, 15_000),
      );
    };
    poll();
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [processing, post.id]);

  const apply = (next: PostView) => {
    current.current = next;
    setPost(next);
    props.onChange?.(next);
  };

  const toggleLike = () => {
    const before = current.current;
    const liked = !before.likedByMe;
    apply({ ...before, likedByMe: liked, likeCount: Math.max(0, before.likeCount + (liked ? 1 : -1)) });
    setError(null);
    const seq = ++likeSeq.current;
    // One request at a time, in click order: the last click is what the server ends up with.
    likeQueue.current = likeQueue.current
      .then(() =>
        api<{ liked: boolean; likeCount: number }>(liked ? "POST" : "DELETE", `/posts/${before.id}/like`),
      )
      .then(
        (answer) => {
          if (seq === likeSeq.current)
            apply({ ...current.current, likedByMe: answer.liked, likeCount: answer.likeCount });
        },
        (err: unknown) => {
          if (seq !== likeSeq.current) return;
          apply({ ...current.current, likedByMe: before.likedByMe, likeCount: before.likeCount });
          setError(err);
        },
      );
  };

  const toggleSave = () => {
    const before = current.current;
    const saved = !before.savedByMe;
    apply({ ...before, savedByMe: saved });
    setError(null);
    const seq = ++saveSeq.current;
    api<{ saved: boolean }>(saved ? "POST" : "DELETE", `/posts/${before.id}/save`).then(
      (answer) => {
        if (seq === saveSeq.current) apply({ ...current.current, savedByMe: answer.saved });
      },
      (err: unknown) => {
        if (seq !== saveSeq.current) return;
        apply({ ...current.current, savedByMe: before.savedByMe });
        setError(err);
      },
    );
  };

  const { author } = post;
  const long = !props.large && !expanded && post.caption.length > CAPTION_PREVIEW;
  const caption = long ? `${post.caption.slice(0, CAPTION_PREVIEW - 15).trimEnd()}…` : post.caption;

  return (
    <article
      class={`post-card ${props.large ? "post-card-large" : ""}`}
      aria-label={`Post by ${author.username}`}
    >
      <header class="post-header">
        <Link href={`/u/${author.username}`} class="post-author">
          <Avatar user={author} />
          <span class="post-username">{author.username}</span>
        </Link>
        <span class="post-dot" aria-hidden="true">
          ·
        </span>
        <Link href={`/p/${post.id}`} class="post-time">
          <TimeAgo iso={post.createdAt} />
        </Link>
        {props.actions && <div class="post-header-actions">{props.actions}</div>}
      </header>

      <Carousel
        media={post.media}
        username={author.username}
        large={props.large}
        onDoubleClick={() => {
          if (!current.current.likedByMe) toggleLike();
        }}
      />

      <div class="post-body">
        <div class="post-actions">
          <button
            type="button"
            class={`icon-button like-button ${post.likedByMe ? "is-on" : ""}`}
            aria-pressed={post.likedByMe}
            onClick={toggleLike}
          >
            <HeartIcon filled={post.likedByMe} />
            <span class="posts-sr-only">Like</span>
          </button>
          <Link
            href={`/p/${post.id}`}
            class="icon-button"
            onClick={(event) => {
              const box = document.getElementById("comment-text");
              if (props.large && box) {
                event.preventDefault();
                box.focus();
              }
            }}
          >
            <CommentIcon />
            <span class="posts-sr-only">Comments</span>
          </Link>
          <button type="button" class="icon-button" onClick={() => setSharing(true)}>
            <ShareIcon />
            <span class="posts-sr-only">Share</span>
          </button>
          <button
            type="button"
            class={`icon-button save-button ${post.savedByMe ? "is-on" : ""}`}
            aria-pressed={post.savedByMe}
            onClick={toggleSave}
          >
            <BookmarkIcon filled={post.savedByMe} />
            <span class="posts-sr-only">Save</span>
          </button>
        </div>
        <ErrorBanner error={error} />
        <p class="post-stats">
          <strong class="post-like-count">{plural(post.likeCount, "like")}</strong>
          <span class="muted post-comment-count">{plural(post.commentCount, "comment")}</span>
        </p>
        {post.caption && (
          <p class="post-caption">
            <Link href={`/u/${author.username}`} class="post-username">
              {author.username}
            </Link>{" "}
            <CaptionText text={caption} mentions={post.mentions} />
            {long && (
              <>
                {" "}
                <button type="button" class="more-button" onClick={() => setExpanded(true)}>
                  more
                </button>
              </>
            )}
          </p>
        )}
      </div>
      {sharing && <ShareDialog postId={post.id} onClose={() => setSharing(false)} />}
    </article>
  );
}

/** Instagram keeps a post's box at its first media's shape, between 4:5 (tall) and 1.91:1 (wide). */
function ratioOf(media: Media | undefined): number {
  if (!media?.width || !media.height) return 1;
  return Math.min(1.91, Math.max(0.8, media.width / media.height));
}

/** The post's 1–10 media, one at a time, with previous/next buttons, "n of N", and swiping on touch screens. */
function Carousel(props: { media: Media[]; username: string; large?: boolean; onDoubleClick: () => void }) {
  const { media } = props;
  const [index, setIndex] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const prev = useRef<HTMLButtonElement>(null);
  const next = useRef<HTMLButtonElement>(null);
  const touchX = useRef<number | null>(null);
  const count = media.length;
  const at = Math.min(index, Math.max(0, count - 1));
  const item = media[at];

  useEffect(() => {
    box.current?.style.setProperty("--post-ratio", String(ratioOf(media[0])));
  }, [media]);

  // A button that becomes disabled at either end would drop the focus: it goes to the other one, once rendered.
  const refocus = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    refocus.current?.focus();
    refocus.current = null;
  }, [at]);

  const go = (to: number) => {
    const target = Math.max(0, Math.min(count - 1, to));
    setIndex(target);
    if (target === 0) refocus.current = next.current;
    else if (target === count - 1) refocus.current = prev.current;
  };
  const kind = (m: Media | undefined) => (m?.type === "video" ? "video" : "photo");
  const altOf = (i: number) =>
    count > 1
      ? `${kind(media[i]) === "video" ? "Video" : "Photo"} ${i + 1} of ${count} by ${props.username}`
      : `${kind(media[i]) === "video" ? "Video" : "Photo"} by ${props.username}`;

  if (!item) return null;
  return (
    <div
      class="post-media"
      ref={box}
      role={count > 1 ? "group" : undefined}
      aria-roledescription={count > 1 ? "carousel" : undefined}
      aria-label={count > 1 ? `${count} photos or videos` : undefined}
      onDblClick={props.onDoubleClick}
      onPointerDown={(event) => {
        if (event.pointerType !== "mouse") touchX.current = event.clientX;
      }}
      onPointerUp={(event) => {
        const start = touchX.current;
        touchX.current = null;
        if (start === null || count < 2) return;
        const dx = event.clientX - start;
        if (Math.abs(dx) > 40) setIndex(Math.max(0, Math.min(count - 1, at + (dx < 0 ? 1 : -1))));
      }}
    >
      <MediaView
        key={item.id}
        media={item}
        alt={altOf(at)}
        sizes={props.large ? "(max-width: 640px) 100vw, 600px" : undefined}
      />
      {count > 1 && (
        <>
          <button
            ref={prev}
            type="button"
            class="carousel-button carousel-prev"
            disabled={at === 0}
            aria-label={`Previous ${kind(media[at - 1])}`}
            onClick={() => go(at - 1)}
          >
            <ChevronIcon left />
          </button>
          <button
            ref={next}
            type="button"
            class="carousel-button carousel-next"
            disabled={at === count - 1}
            aria-label={`Next ${kind(media[at + 1])}`}
            onClick={() => go(at + 1)}
          >
            <ChevronIcon />
          </button>
          <span class="carousel-count" aria-live="polite">
            {at + 1} of {count}
          </span>
          <span class="carousel-dots" aria-hidden="true">
            {media.map((m, i) => (
              <span key={m.id} class={i === at ? "is-on" : ""} />
            ))}
          </span>
        </>
      )}
    </div>
  );
}

/** "Send to (usernames)": the post goes to each as a direct message. */
function ShareDialog(props: { postId: string; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  const [names, setNames] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);

  useEffect(() => {
    opener.current = document.activeElement;
    dialog.current?.showModal();
    return () => {
      if (opener.current instanceof HTMLElement) opener.current.focus();
    };
  }, []);

  const send = async (event: SubmitEvent) => {
    event.preventDefault();
    const usernames = [
      ...new Set(
        names
          .split(/[\s,]+/)
          .map((n) => n.replace(/^@/, "").trim().toLowerCase())
          .filter(Boolean),
      ),
    ];
    setResult(null);
    setError(null);
    setProblem(usernames.length === 0 ? "Type at least one username." : null);
    if (usernames.length === 0) return;
    setBusy(true);
    try {
      const answer = await api<{ sent: number }>("POST", `/posts/${props.postId}/share`, {
        body: { usernames },
      });
      const sent = answer.sent;
      setResult(
        sent === usernames.length
          ? `Sent to ${usernames.join(", ")}.`
          : `Sent to ${sent} of ${plural(usernames.length, "person", "people")}.`,
      );
      setNames("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} class="share-dialog" aria-labelledby="share-title" onClose={props.onClose}>
      <form class="stack" onSubmit={(e) => void send(e)}>
        <h2 id="share-title">Share post</h2>
        <label>
          Send to (usernames)
          <input
            value={names}
            onInput={(e) => setNames(e.currentTarget.value)}
            autoComplete="off"
            autoCapitalize="none"
            spellcheck={false}
            aria-describedby="share-hint"
            required
          />
        </label>
        <p id="share-hint" class="muted hint">
          Separate usernames with commas or spaces. Each gets the post as a message.
        </p>
        {problem && (
          <p class="error-banner" role="alert">
            {problem}
          </p>
        )}
        <ErrorBanner error={error} />
        {result && (
          <p class="share-result" role="status">
            {result}
          </p>
        )}
        <div class="row dialog-buttons">
          <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
            Close
          </button>
          <button type="submit" disabled={busy}>
            Send
          </button>
        </div>
      </form>
    </dialog>
  );
}

function Icon(props: { children: ComponentChildren; class?: string }) {
  return (
    <svg
      class={`icon ${props.class ?? ""}`}
      viewBox="0 0 24 24"
      width="24"
      height="24"
      aria-hidden="true"
      focusable="false"
    >
      {props.children}
    </svg>
  );
}

function HeartIcon(props: { filled: boolean }) {
  return (
    <Icon class={props.filled ? "filled" : ""}>
      <path d="M12 20.5s-7.5-4.6-9.3-9.4C1.5 7.8 3.6 4.5 7 4.5c2 0 3.5 1.1 5 3 1.5-1.9 3-3 5-3 3.4 0 5.5 3.3 4.3 6.6-1.8 4.8-9.3 9.4-9.3 9.4z" />
    </Icon>
  );
}

function CommentIcon() {
  return (
    <Icon>
      <path d="M20.5 11.5a8.5 8.5 0 0 1-12.6 7.4L3.5 20.5l1.6-4.3A8.5 8.5 0 1 1 20.5 11.5z" />
    </Icon>
  );
}

function ShareIcon() {
  return (
    <Icon>
      <path d="M21.5 3 10.2 13.8M21.5 3l-7 18-4.3-7.2L3 9.8z" />
    </Icon>
  );
}

function BookmarkIcon(props: { filled: boolean }) {
  return (
    <Icon class={props.filled ? "filled" : ""}>
      <path d="M19 21.5 12 16l-7 5.5V3.5h14z" />
    </Icon>
  );
}

function ChevronIcon(props: { left?: boolean }) {
  return (
    <Icon>
      <path d={props.left ? "M15 5l-7 7 7 7" : "M9 5l7 7-7 7"} />
    </Icon>
  );
}
