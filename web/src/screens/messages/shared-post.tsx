import { api, ApiError } from "../../api/client";
import type { PostView } from "../../api/types";
import { useLoad } from "../../api/use-load";
import { ErrorBanner } from "../../components/error-banner";
import { MediaView } from "../../components/media-view";
import { Link } from "../../router";

/** A thread shows the same post again and again while it is open: asked for once. */
const posts = new Map<string, Promise<PostView>>();

function postOf(id: string): Promise<PostView> {
  let known = posts.get(id);
  if (!known) {
    known = api<PostView>("GET", `/posts/${id}`);
    // A failure is not kept ("Try again" asks anew), but a post that is gone stays gone.
    known.catch((err: unknown) => {
      if (!(err instanceof ApiError && err.status === 404)) posts.delete(id);
    });
    if (posts.size > 200) posts.clear();
    posts.set(id, known);
  }
  return known;
}

/** A post shared into a conversation: a small preview and a link to it, or why it cannot be shown. */
export function SharedPost(props: { postId: string }) {
  const { value: post, error, reload } = useLoad(() => postOf(props.postId), [props.postId]);

  const gone = error instanceof ApiError && (error.status === 404 || error.status === 403);
  const media = post?.media[0];
  return (
    <div class="dm-post">
      {post && (
        <div class="dm-post-preview">
          {media && <MediaView media={media} alt={`Post by ${post.author.username}`} thumb />}
          <div class="dm-post-text">
            <strong>{post.author.username}</strong>
            {post.caption && <span class="dm-post-caption">{post.caption}</span>}
          </div>
        </div>
      )}
      {!post && error === null && (
        <p class="muted" role="status">
          Loading…
        </p>
      )}
      {gone && <p class="muted">Post unavailable</p>}
      {error !== null && !gone && <ErrorBanner error={error} onRetry={reload} />}
      {!gone && <Link href={`/p/${props.postId}`}>View post</Link>}
    </div>
  );
}
