import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, page } from "../api/client";
import { onStream } from "../api/stream";
import type { Page, PostView } from "../api/types";
import { PagedFooter, usePaged } from "../components/paged-list";
import { PostCard } from "../components/post-card";
import { StoriesBar } from "../components/stories-bar";
import { Link } from "../router";
import { plural } from "../text";
import "../styles/posts.css";

/** How often, and how long apart (growing), the feed is read again for posts the pill promised. */
const MAX_REREADS = 8;
const REREAD_MS = 1000;

/**
 * The home feed, newest first, read page by page as it scrolls. Posts that arrive on the live stream are not
 * pushed in under the reader's eyes: a pill counts them, and a click on it loads them at the top.
 */
export function FeedScreen() {
  // "Following": newest first; "For you": ranked by engagement and whom one engages with (GET /feed?order=ranked).
  const [order, setOrder] = useState<"chronological" | "ranked">("chronological");
  const feed = usePaged<PostView>(
    (cursor) =>
      order === "ranked"
        ? api<Page<PostView>>("GET", "/feed", { query: { limit: 10, order, cursor: cursor ?? undefined } })
        : page<PostView>("/feed", cursor, 10),
    [order],
  );
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
  const fresh = [...arrived].filter((id) => !shown.has(id));

  // The stream announces a post when it reaches the reader's timeline, but the feed shows it only once its media
  // are ready: posts asked for with the pill and not in the feed yet are read again a few times until they are.
  const [wanted, setWanted] = useState<readonly string[]>([]);
  const tries = useRef(0);
  const missing = wanted.some((id) => !shown.has(id));
  useEffect(() => {
    if (!missing || feed.loading || feed.error !== null) return;
    if (tries.current >= MAX_REREADS) {
      setWanted([]);
      return;
    }
    const timer = setTimeout(feed.reload, REREAD_MS * ++tries.current);
    return () => clearTimeout(timer);
  }, [missing, feed.loading, feed.error]);

  const showNew = () => {
    setWanted(fresh);
    tries.current = 0;
    setArrived(new Set());
    feed.reload();
    window.scrollTo({ top: 0, behavior: "smooth" });
    // The pill goes away with the click: keep the focus at the top of the feed rather than lose it.
    heading.current?.focus();
  };

  return (
    <section class="feed">
      <h1 class="visually-hidden" ref={heading} tabIndex={-1}>
        Home
      </h1>
      <StoriesBar />
      <div class="feed-order" role="group" aria-label="Order of the feed">
        <button
          type="button"
          class="secondary"
          aria-pressed={order === "chronological"}
          onClick={() => setOrder("chronological")}
        >
          Following
        </button>
        <button
          type="button"
          class="secondary"
          aria-pressed={order === "ranked"}
          onClick={() => setOrder("ranked")}
        >
          For you
        </button>
      </div>
      {fresh.length > 0 && (
        <button type="button" class="pill" onClick={showNew}>
          <span aria-hidden="true">↑ </span>
          {plural(fresh.length, "new post")}
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
      <PagedFooter state={feed} empty={<EmptyFeed />} />
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
