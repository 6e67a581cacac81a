import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, page } from "../api/client";
import { session } from "../api/session";
import type { PostInsights, PostView, UserView } from "../api/types";
import { useLoad } from "../api/use-load";
import { Comments } from "../components/comments";
import { ErrorBanner } from "../components/error-banner";
import { PagedFooter, usePaged } from "../components/paged-list";
import { PostCard } from "../components/post-card";
import { UserList } from "../components/user-row";
import { Link, navigate } from "../router";
import { formatCount, MAX_CAPTION } from "../text";
import "../styles/posts.css";

/** One post, large, with who liked it and its comments; its author can edit its caption or delete it. */
export function PostScreen(props: { id: string }) {
  const [editing, setEditing] = useState(false);
  const {
    value: post,
    setValue: setPost,
    error,
    reload,
  } = useLoad(
    (signal) => api<PostView>("GET", `/posts/${encodeURIComponent(props.id)}`, { signal }),
    [props.id],
  );

  if (error instanceof ApiError && error.status === 404) {
    return (
      <section class="post-missing">
        <h1>This post is not available</h1>
        <p>
          It may have been deleted, or it belongs to a private account you do not follow.{" "}
          <Link href="/">Back to your feed</Link>
        </p>
      </section>
    );
  }
  if (error !== null) {
    return (
      <section>
        <h1>Post</h1>
        <ErrorBanner error={error} onRetry={reload} />
      </section>
    );
  }
  if (post === null) {
    return (
      <section>
        <h1 class="visually-hidden">Post</h1>
        <p class="muted" role="status">
          Loading…
        </p>
      </section>
    );
  }
  const mine = post.author.id === session.value?.me.id;
  return (
    <section class="post-page">
      <h1 class="visually-hidden">Post by {post.author.username}</h1>
      <PostCard
        post={post}
        large
        onChange={setPost}
        actions={
          mine ? (
            <>
              {!editing && (
                <button type="button" class="text-button" onClick={() => setEditing(true)}>
                  Edit
                </button>
              )}
              <DeletePost id={post.id} />
            </>
          ) : undefined
        }
      />
      {mine && editing && (
        <EditCaption
          post={post}
          onDone={(edited) => {
            if (edited) setPost(edited);
            setEditing(false);
          }}
        />
      )}
      {mine && <Insights postId={post.id} />}
      <Likers postId={post.id} likeCount={post.likeCount} />
      <Comments
        post={post}
        onCount={(delta) => setPost((p) => p && { ...p, commentCount: Math.max(0, p.commentCount + delta) })}
      />
    </section>
  );
}

/** The caption, edited in place: tags, mentions and search follow it; the media stay as posted. */
function EditCaption(props: { post: PostView; onDone: (edited: PostView | null) => void }) {
  const [caption, setCaption] = useState(props.post.caption);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  useEffect(() => field.current?.focus(), []);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onDone(
        await api<PostView>("PATCH", `/posts/${props.post.id}`, { body: { caption: caption.trim() } }),
      );
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form class="card edit-caption" onSubmit={(e) => void save(e)}>
      <label>
        Caption
        <textarea
          ref={field}
          rows={4}
          maxLength={MAX_CAPTION}
          value={caption}
          onInput={(e) => setCaption(e.currentTarget.value)}
          aria-describedby="edit-caption-count"
        />
      </label>
      <p id="edit-caption-count" class={`hint ${caption.length >= MAX_CAPTION ? "over" : "muted"}`}>
        {caption.length} / {MAX_CAPTION}
      </p>
      <ErrorBanner error={error} />
      <div class="row">
        <button type="submit" disabled={busy}>
          Save caption
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => props.onDone(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** "Delete post", confirmed in place (a browser `confirm()` would block the page and its tests). */
function DeletePost(props: { id: string }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) keep.current?.focus();
  }, [asking]);
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api("DELETE", `/posts/${props.id}`);
      navigate("/");
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  if (!asking) {
    return (
      <button type="button" class="text-button danger-text" onClick={() => setAsking(true)}>
        Delete post
      </button>
    );
  }
  return (
    <div class="delete-confirm" role="group" aria-label="Delete this post?">
      <span>Delete this post?</span>
      <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
        Delete
      </button>
      <button type="button" class="secondary" disabled={busy} ref={keep} onClick={() => setAsking(false)}>
        Keep
      </button>
      <ErrorBanner error={error} />
    </div>
  );
}

/** The author's insights, folded like "Liked by": read when opened, and again each time. */
function Insights(props: { postId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details class="insights card" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Insights</summary>
      {open && <InsightsBody postId={props.postId} />}
    </details>
  );
}

function InsightsBody(props: { postId: string }) {
  const { value, error, reload } = useLoad(
    (signal) => api<PostInsights>("GET", `/posts/${props.postId}/insights`, { signal }),
    [props.postId],
  );
  if (error !== null) return <ErrorBanner error={error} onRetry={reload} />;
  if (value === null) {
    return (
      <p class="muted" role="status">
        Loading…
      </p>
    );
  }
  const active = value.hours.filter((h) => h.views + h.plays + h.likes + h.comments + h.saves + h.shares > 0);
  return (
    <>
      <dl class="insights-totals">
        {(
          [
            ["Views", value.views],
            ["Accounts reached", value.uniqueViewers],
            ["From followers", value.reach.followers],
            ["From others", value.reach.nonFollowers],
            ["Plays", value.plays],
            ["Likes", value.likes],
            ["Comments", value.comments],
            ["Saves", value.saves],
            ["Shares", value.shares],
          ] as const
        ).map(([label, count]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{formatCount(count)}</dd>
          </div>
        ))}
      </dl>
      {active.length > 0 && (
        <table class="insights-hours">
          <caption>The first 48 hours, hour by hour</caption>
          <thead>
            <tr>
              <th scope="col">Hour</th>
              <th scope="col">Views</th>
              <th scope="col">Likes</th>
              <th scope="col">Comments</th>
            </tr>
          </thead>
          <tbody>
            {active.map((h) => (
              <tr key={h.at}>
                <th scope="row">
                  {new Date(h.at).toLocaleString([], { dateStyle: "short", timeStyle: "short" })}
                </th>
                <td>{formatCount(h.views)}</td>
                <td>{formatCount(h.likes)}</td>
                <td>{formatCount(h.comments)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/**
 * "Liked by", folded: a disclosure that reads the list when opened (and again each time, as likes change). A
 * `<details>` rather than a button so that no second button on the page has "like" in its name.
 */
function Likers(props: { postId: string; likeCount: number }) {
  const [open, setOpen] = useState(false);
  if (props.likeCount === 0 && !open) return null;
  return (
    <details class="likers card" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Liked by</summary>
      {open && <LikersList postId={props.postId} />}
    </details>
  );
}

function LikersList(props: { postId: string }) {
  const list = usePaged<UserView>(
    (cursor) => page<UserView>(`/posts/${props.postId}/likes`, cursor),
    [props.postId],
  );
  return (
    <>
      <UserList users={list.items} />
      <PagedFooter state={list} empty="No likes yet." />
    </>
  );
}
