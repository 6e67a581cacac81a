import { page } from "../api/client";
import type { CommentView, PostView } from "../api/types";
import { PagedFooter, usePaged } from "../components/paged-list";
import { PostGrid } from "../components/post-grid";
import { TimeAgo } from "../components/time";
import { Link } from "../router";

/** Your activity: the posts you liked and the comments you wrote, newest first; only you see them. */
export function ActivityScreen() {
  const liked = usePaged<PostView>((cursor) => page<PostView>("/me/liked", cursor, 18), []);
  const comments = usePaged<CommentView>((cursor) => page<CommentView>("/me/comments", cursor, 20), []);
  return (
    <section class="activity stack">
      <h1>Your activity</h1>
      <p class="muted">Only you can see this.</p>
      <h2>Posts you’ve liked</h2>
      <PostGrid posts={liked.items} />
      <PagedFooter state={liked} empty="No likes yet." />
      <h2>Your comments</h2>
      <ul class="activity-comments stack">
        {comments.items.map((c) => (
          <li key={c.id}>
            <p class="comment-text">{c.text}</p>
            <p class="muted">
              <TimeAgo iso={c.createdAt} /> · <Link href={`/p/${c.postId}`}>View post</Link>
            </p>
          </li>
        ))}
      </ul>
      <PagedFooter state={comments} empty="No comments yet." />
    </section>
  );
}
