import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/client";
import type { Page, PostView, TagView, UserView } from "../api/types";
import { useLoad } from "../api/use-load";
import { ErrorBanner } from "../components/error-banner";
import { PagedFooter, usePaged } from "../components/paged-list";
import { PostGrid } from "../components/post-grid";
import { SuggestedUsers } from "../components/suggested-users";
import { UserList } from "../components/user-row";
import { currentQuery, Link, navigate } from "../router";
import { plural } from "../text";
import "../styles/people.css";

type Kind = "users" | "tags" | "posts";
const KINDS: readonly (readonly [Kind, string])[] = [
  ["users", "People"],
  ["tags", "Tags"],
  ["posts", "Posts"],
];
/** The API's bound on a query. */
const MAX_QUERY = 100;
const DEBOUNCE_MS = 300;

function kindOf(value: string | null): Kind {
  return value === "tags" || value === "posts" ? value : "users";
}

/**
 * Search people, tags or posts. The query lives in the URL (`?q=&type=`), so back and forward and a shared link
 * work; typing searches after a pause. Without a query: trending tags and suggested people.
 */
export function SearchScreen() {
  const params = currentQuery.value;
  const q = (params.get("q") ?? "").slice(0, MAX_QUERY);
  const kind = kindOf(params.get("type"));
  const [text, setText] = useState(q);
  // What this screen last put in the URL: any other change of `q` came from back/forward, and the box follows it.
  const written = useRef(q);
  const timer = useRef<ReturnType<typeof setTimeout>>();

  useEffect(() => {
    if (q !== written.current) {
      written.current = q;
      setText(q);
    }
  }, [q]);
  useEffect(() => () => clearTimeout(timer.current), []);

  const go = (value: string, type: Kind, push: boolean) => {
    clearTimeout(timer.current);
    const cut = value.slice(0, MAX_QUERY);
    written.current = cut;
    const next = new URLSearchParams();
    if (cut.trim() !== "") next.set("q", cut);
    if (cut.trim() !== "" || type !== "users") next.set("type", type);
    const qs = next.toString();
    navigate(qs === "" ? "/search" : `/search?${qs}`, { replace: !push });
  };

  const onInput = (value: string) => {
    setText(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const now = currentQuery.value;
      // The first letters start a new history entry; refining the query replaces it, so Back leaves the search.
      go(value, kindOf(now.get("type")), (now.get("q") ?? "").trim() === "");
    }, DEBOUNCE_MS);
  };

  const query = (kind === "tags" ? q.replace(/^#+/, "") : q).trim();
  return (
    <section class="search">
      <h1>Search</h1>
      <form
        class="search-form"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          go(text, kind, true);
        }}
      >
        <label class="search-box">
          <span class="visually-hidden">Search</span>
          <input
            type="search"
            name="q"
            value={text}
            maxLength={MAX_QUERY}
            placeholder="Search people, #tags or posts"
            autoComplete="off"
            onInput={(event) => onInput(event.currentTarget.value)}
          />
        </label>
        <fieldset class="search-kinds">
          <legend class="visually-hidden">Search for</legend>
          {KINDS.map(([value, label]) => (
            <label key={value} class="search-kind">
              <input
                type="radio"
                name="type"
                value={value}
                checked={kind === value}
                onChange={() => go(text, value, true)}
              />
              <span>{label}</span>
            </label>
          ))}
        </fieldset>
      </form>
      {query === "" ? (
        <Discover />
      ) : kind === "users" ? (
        <UserResults key={query} q={query} />
      ) : kind === "tags" ? (
        <TagResults key={query} q={query} />
      ) : (
        <PostResults key={query} q={query} />
      )}
    </section>
  );
}

function search<T>(q: string, type: Kind, cursor: string | null): Promise<Page<T>> {
  return api<Page<T>>("GET", "/search", { query: { q, type, limit: 20, cursor: cursor ?? undefined } });
}

function UserResults(props: { q: string }) {
  const paged = usePaged<UserView>((cursor) => search<UserView>(props.q, "users", cursor), [props.q]);
  return (
    <div class="search-results">
      <h2 class="visually-hidden">People</h2>
      <UserList users={paged.items} />
      <PagedFooter state={paged} empty={`No people match “${props.q}”.`} />
    </div>
  );
}

function TagResults(props: { q: string }) {
  const paged = usePaged<TagView>((cursor) => search<TagView>(props.q, "tags", cursor), [props.q]);
  return (
    <div class="search-results">
      <h2 class="visually-hidden">Tags</h2>
      <TagList tags={paged.items} />
      <PagedFooter state={paged} empty={`No tags match “#${props.q}”.`} />
    </div>
  );
}

function PostResults(props: { q: string }) {
  const paged = usePaged<PostView>((cursor) => search<PostView>(props.q, "posts", cursor), [props.q]);
  return (
    <div class="search-results">
      <h2 class="visually-hidden">Posts</h2>
      <PostGrid posts={paged.items} />
      <PagedFooter state={paged} empty={`No posts match “${props.q}”.`} />
    </div>
  );
}

function TagList(props: { tags: readonly TagView[] }) {
  return (
    <ul class="tag-list">
      {props.tags.map(({ tag, postCount }) => (
        <li key={tag}>
          <Link href={`/tags/${encodeURIComponent(tag)}`}>#{tag}</Link>
          <span class="muted">{plural(postCount, "post")}</span>
        </li>
      ))}
    </ul>
  );
}

/** Before a query: what is trending and whom to follow. */
function Discover() {
  const trending = useLoad(
    (signal) => api<{ items: TagView[] }>("GET", "/tags/trending", { signal }).then((found) => found.items),
    [],
  );
  const tags = trending.value;
  return (
    <div class="discover">
      <section aria-labelledby="trending-title">
        <h2 id="trending-title">Trending tags</h2>
        <ErrorBanner error={trending.error} onRetry={trending.reload} />
        {tags === null && trending.error === null && (
          <p class="muted" role="status">
            Loading…
          </p>
        )}
        {tags?.length === 0 && <p class="muted">Nothing is trending right now.</p>}
        {tags && tags.length > 0 && <TagList tags={tags} />}
      </section>
      <SuggestedUsers />
    </div>
  );
}
