import type { PostView } from "../api/types";
import { Link } from "../router";
import { formatCount } from "../text";
import { CommentIcon, HeartIcon, SeveralIcon } from "./icons";
import { MediaView } from "./media-view";
import "../styles/post-grid.css";

/** "Post by alice: the first words of the caption…", what a tile says to screen readers. */
function postAlt(post: PostView): string {
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
                <SeveralIcon class={`post-tile-several${first?.type === "video" ? " beside-badge" : ""}`} />
              )}
              <span class="post-tile-counts" aria-hidden="true">
                <span>
                  <HeartIcon filled /> {formatCount(post.likeCount)}
                </span>
                <span>
                  <CommentIcon filled /> {formatCount(post.commentCount)}
                </span>
              </span>
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
