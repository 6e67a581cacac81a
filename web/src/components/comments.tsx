import type { ComponentChildren } from "preact";
import { useRef, useState } from "preact/hooks";
import { api, page } from "../api/client";
import { session } from "../api/session";
import { ReportButton } from "./report-dialog";
import type { CommentView, PostView } from "../api/types";
import { Link } from "../router";
import { Avatar } from "./avatar";
import { ErrorBanner } from "./error-banner";
import { PagedFooter, usePaged } from "./paged-list";
import { CaptionText } from "./caption-text";
import { TimeAgo } from "./time";
import "../styles/comments.css";

const MAX_COMMENT = 2200;

/**
 * A post's comments, oldest first, each reply shown in the thread of the comment it answers (Instagram keeps one
 * level: a reply to a reply joins the same thread), and the box to add one. `onCount` tells the post card.
 */
export function Comments(props: { post: PostView; onCount: (delta: number) => void }) {
  const { post } = props;
  const me = session.value?.me;
  const list = usePaged<CommentView>(
    (cursor) => page<CommentView>(`/posts/${post.id}/comments`, cursor, 50),
    [post.id],
  );
  const [text, setText] = useState("");
  const [replyTo, setReplyTo] = useState<CommentView | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const box = useRef<HTMLTextAreaElement>(null);

  const reply = (comment: CommentView) => {
    setReplyTo(comment);
    const mention = `@${comment.author.username} `;
    if (comment.author.id !== me?.id && !text.includes(mention.trim())) setText(`${mention}${text}`);
    box.current?.focus();
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const body = text.trim();
    if (body === "" || busy) return;
    setBusy(true);
    setError(null);
    try {
      const comment = await api<CommentView>("POST", `/posts/${post.id}/comments`, {
        body: replyTo ? { text: body, replyToId: replyTo.id } : { text: body },
      });
      list.setItems((items) => [...items, comment]);
      props.onCount(1);
      setText("");
      setReplyTo(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (comment: CommentView) => {
    setDeleteError(null);
    try {
      await api("DELETE", `/comments/${comment.id}`);
      list.setItems((items) => items.filter((c) => c.id !== comment.id));
      if (replyTo?.id === comment.id) setReplyTo(null);
      props.onCount(-1);
    } catch (err) {
      setDeleteError(err);
    }
  };

  const threads = threadsOf(list.items);
  const canDelete = (c: CommentView) =>
    me !== undefined && (c.author.id === me.id || post.author.id === me.id);
  const item = (c: CommentView) => (
    <CommentItem
      key={c.id}
      comment={c}
      canDelete={canDelete(c)}
      onReply={() => reply(c)}
      onDelete={() => void remove(c)}
    />
  );

  return (
    <section class="card comments" aria-labelledby="comments-title">
      <h2 id="comments-title">Comments</h2>
      <ErrorBanner error={deleteError} />
      <ul class="comment-list">
        {threads.map(({ root, replies }) => (
          <CommentItem
            key={root.id}
            comment={root}
            canDelete={canDelete(root)}
            onReply={() => reply(root)}
            onDelete={() => void remove(root)}
          >
            {replies.length > 0 && <ul class="comment-replies">{replies.map(item)}</ul>}
          </CommentItem>
        ))}
      </ul>
      <PagedFooter state={list} empty="No comments yet. Start the conversation." />
      <form class="comment-form stack" onSubmit={(e) => void submit(e)}>
        {replyTo && (
          <p class="comment-replying row">
            <span>
              Replying to <strong>{replyTo.author.username}</strong>
            </span>
            <button type="button" class="link-button" onClick={() => setReplyTo(null)}>
              Cancel
            </button>
          </p>
        )}
        <label>
          Add a comment
          <textarea
            id="comment-text"
            ref={box}
            rows={2}
            maxLength={MAX_COMMENT}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              // Ctrl/Cmd+Enter sends; Enter alone is a new line, as in any text box.
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
            }}
          />
        </label>
        <ErrorBanner error={error} />
        <div class="row comment-form-buttons">
          {text.length > MAX_COMMENT - 200 && (
            <span class="muted hint">
              {text.length} / {MAX_COMMENT}
            </span>
          )}
          <button type="submit" disabled={busy || text.trim() === ""}>
            Post comment
          </button>
        </div>
      </form>
    </section>
  );
}

interface Thread {
  root: CommentView;
  replies: CommentView[];
}

/** Top-level comments in order, each with every reply under it (by following `replyToId` up to its root). */
function threadsOf(comments: CommentView[]): Thread[] {
  const byId = new Map<string, CommentView>();
  for (const c of comments) if (!byId.has(c.id)) byId.set(c.id, c);
  const rootOf = (c: CommentView): CommentView => {
    let at = c;
    const seen = new Set<string>();
    while (at.replyToId !== null && !seen.has(at.id)) {
      seen.add(at.id);
      const parent = byId.get(at.replyToId);
      // A reply whose comment is gone (deleted) stands on its own.
      if (!parent) return at;
      at = parent;
    }
    return at;
  };
  const threads = new Map<string, Thread>();
  for (const c of byId.values()) {
    const root = rootOf(c);
    if (root.id === c.id) {
      if (!threads.has(c.id)) threads.set(c.id, { root: c, replies: [] });
    } else {
      const thread = threads.get(root.id) ?? { root, replies: [] };
      thread.replies.push(c);
      threads.set(root.id, thread);
    }
  }
  return [...threads.values()];
}

function CommentItem(props: {
  comment: CommentView;
  canDelete: boolean;
  onReply: () => void;
  onDelete: () => void;
  children?: ComponentChildren;
}) {
  const { comment } = props;
  const { author } = comment;
  return (
    <li class="comment">
      <div class="comment-main">
        <Avatar user={author} />
        <div class="comment-body">
          <p class="comment-text">
            <Link href={`/u/${author.username}`} class="post-username">
              {author.username}
            </Link>{" "}
            <CaptionText text={comment.text} />
          </p>
          <p class="comment-meta">
            <TimeAgo iso={comment.createdAt} />
            <button type="button" class="text-button" onClick={props.onReply}>
              Reply
            </button>
            {props.canDelete && (
              <button type="button" class="text-button danger-text" onClick={props.onDelete}>
                Delete<span class="visually-hidden"> comment by {author.username}</span>
              </button>
            )}
            {author.id !== session.value?.me.id && (
              <ReportButton target={{ type: "comment", id: comment.id }} class="text-button" />
            )}
          </p>
        </div>
      </div>
      {props.children}
    </li>
  );
}
