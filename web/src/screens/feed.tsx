import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { page } from "../api/client";
import { onStream } from "../api/stream";
import type { PostView } from "../api/types";
import { PagedFooter, usePaged } from "../components/paged-list";
import { PostCard } from "../components/post-card";
import { StoriesBar } from "../components/stories-bar";
import { Link } from "../router";
import "../styles/posts.css";

/**
 * The home feed, newest first, read page by page as it scrolls. Posts that arrive on the live stream are not
 * pushed in under the reader's eyes: a pill counts them, and a click on it loads them at the top.
 */
export function FeedScreen() {
  const feed = usePaged<PostView>((cursor) => page<PostView>("/feed", cursor, 10), []);
  const [arrived, setArrived] = useState<ReadonlySet<string>>(new Set());
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(
    () =>
      onStream("feed", ({ postId }) => {
        setArrived((old) => (old.has(postId) ? old : new Set(old).add(postId)));
      }),
    [],
  );

  // Counted at render time: an event that raced the page load may be for a post already on screen.
  const shown = useMemo(() => new Set(feed.items.map((p) => p.id)), [feed.items]);
  const fresh = [...arrived].filter((id) => !shown.has(id)).length;

  const showNew = () => {
    setArrived(new Set());
    feed.reload();
    window.scrollTo({ top: 0, behavior: "smooth" });
    // The pill goes away with the click: keep the focus at the top of the feed rather than lose it.
    heading.current?.focus();
  };

  return (
    <section class="feed">
      <h1 class="posts-sr-only" ref={heading} tabIndex={-1}>
        Home
      </h1>
      <StoriesBar />
      {fresh > 0 && (
        <button type="button" class="pill" onClick={showNew}>
          <span aria-hidden="true">↑ </span>
          {fresh === 1 ? "1 new post" : `${fresh} new posts`}
        </button>
      )}
      <ul class="post-list">
        {feed.items.map((post) => (
          <li key={post.id}>
            <PostCard
              post={post}
              onChange={(changed) =>
                feed.setItems((items) => items.map((p) => (p.id === changed.id ? changed : p)))
              }
            />
          </li>
        ))}
      </ul>
      <PagedFooter state={{ ...feed, itemsCount: feed.items.length }} empty={<EmptyFeed />} />
    </section>
  );
}

function EmptyFeed() {
  return (
    <span class="feed-empty">
      <strong>Your feed is empty.</strong> Follow people to see their photos and videos here: find them in{" "}
      <Link href="/explore">Explore</Link> or <Link href="/search">Search</Link>. Or{" "}
      <Link href="/new">share your first post</Link>.
    </span>
  );
}
