import type { PostView } from "../api/types";
import { Link } from "../router";
import { MediaView } from "./media-view";
import "../styles/people.css";

/** "Post by alice: the first words of the caption…", what a tile says to screen readers. */
export function postAlt(post: PostView): string {
  const caption = post.caption.replace(/\s+/g, " ").trim();
  if (caption === "") return `Post by ${post.author.username}`;
  const start = caption.length <= 60 ? caption : `${caption.slice(0, 60).replace(/\s+\S*$/, "")}…`;
  return `Post by ${post.author.username}: ${start}`;
}

/** Posts as a grid of square tiles (profiles, tags, explore, saved), each a link to the post. */
export function PostGrid(props: { posts: readonly PostView[] }) {
  return (
    <ul class="grid post-grid">
      {props.posts.map((post) => {
        const first = post.media[0];
        const several = post.media.length > 1;
        const alt = several ? `${postAlt(post)} (${post.media.length} photos or videos)` : postAlt(post);
        return (
          <li key={post.id}>
            <Link href={`/p/${post.id}`} class="post-tile">
              {first ? (
                <MediaView media={first} alt={alt} thumb />
              ) : (
                <span class="post-tile-empty">{alt}</span>
              )}
              {several && (
                <svg
                  class={`post-tile-several${first?.type === "video" ? " beside-badge" : ""}`}
                  viewBox="0 0 24 24"
                  aria-hidden="true"
                >
                  <rect x="7" y="3" width="14" height="14" rx="2" />
                  <path d="M4 7v12a2 2 0 0 0 2 2h12" />
                </svg>
              )}
              <span class="post-tile-counts" aria-hidden="true">
                <span>♥ {post.likeCount}</span>
                <span>
                  <svg viewBox="0 0 24 24">
                    <path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z" />
                  </svg>{" "}
                  {post.commentCount}
                </span>
              </span>
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
