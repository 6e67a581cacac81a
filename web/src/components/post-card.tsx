import type { ComponentChildren } from "preact";
import { CloseFriendsBadge } from "./close-friends-badge";
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/client";
import { session } from "../api/session";
import { reportSeen } from "../api/views";
import type { PostView } from "../api/types";
import { Link } from "../router";
import { plural } from "../text";
import { Avatar } from "./avatar";
import { CaptionText } from "./caption-text";
import { ErrorBanner } from "./error-banner";
import { BookmarkIcon, CommentIcon, HeartIcon, PaperPlaneIcon } from "./icons";
import { MediaCarousel } from "./media-carousel";
import { ReportButton } from "./report-dialog";
import { ShareDialog } from "./share-dialog";
import { TimeAgo } from "./time";
import "../styles/posts.css";

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
  const article = useRef<HTMLElement>(null);
  const mine = post.author.id === session.value?.me.id;
  // Half the post on screen counts as seen, a video started as played; one's own posts count for nothing.
  useEffect(() => {
    const el = article.current;
    if (!el || mine) return;
    const played = (e: Event) => {
      if (e.target instanceof HTMLVideoElement) reportSeen(post.id, "play");
    };
    el.addEventListener("play", played, true);
    const seen = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          reportSeen(post.id);
          seen.disconnect();
        }
      },
      { threshold: 0.5 },
    );
    seen.observe(el);
    return () => {
      seen.disconnect();
      el.removeEventListener("play", played, true);
    };
  }, [post.id, mine]);
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
    <article ref={article} class="post-card" aria-label={`Post by ${author.username}`}>
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
        {post.audience === "close_friends" && <CloseFriendsBadge />}
        {post.editedAt && (
          <span class="post-edited muted" title={`Edited ${new Date(post.editedAt).toLocaleString()}`}>
            · Edited
          </span>
        )}
        {props.actions && <div class="post-header-actions">{props.actions}</div>}
        {author.id !== session.value?.me.id && (
          <div class="post-header-actions">
            <ReportButton target={{ type: "post", id: post.id }} class="text-button post-report" />
          </div>
        )}
      </header>

      <MediaCarousel
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
            <span class="visually-hidden">Like</span>
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
            <span class="visually-hidden">Comments</span>
          </Link>
          <button type="button" class="icon-button" onClick={() => setSharing(true)}>
            <PaperPlaneIcon />
            <span class="visually-hidden">Share</span>
          </button>
          <button
            type="button"
            class={`icon-button save-button ${post.savedByMe ? "is-on" : ""}`}
            aria-pressed={post.savedByMe}
            onClick={toggleSave}
          >
            <BookmarkIcon filled={post.savedByMe} />
            <span class="visually-hidden">Save</span>
          </button>
        </div>
        <ErrorBanner error={error} />
        <p class="post-stats">
          <strong class="post-like-count">{plural(post.likeCount, "like")}</strong>
          <span class="muted post-comment-count">{plural(post.commentCount, "comment")}</span>
          {post.viewCount !== undefined && (
            <span class="muted post-view-count">
              {plural(post.viewCount, "view")}
              {post.media.some((m) => m.type === "video") && `, ${plural(post.playCount ?? 0, "play")}`}
            </span>
          )}
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
