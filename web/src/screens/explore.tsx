import { page } from "../api/client";
import type { PostView } from "../api/types";
import { PagedFooter, usePaged } from "../components/paged-list";
import { PostGrid } from "../components/post-grid";
import { SuggestedUsers } from "../components/suggested-users";
import { Link } from "../router";
import "../styles/people.css";

/** Posts gaining likes and comments fastest, from accounts one does not follow, and accounts to follow. */
export function ExploreScreen() {
  const paged = usePaged<PostView>((cursor) => page<PostView>("/explore", cursor, 18), []);
  return (
    <section class="explore">
      <h1>Explore</h1>
      <div class="card explore-suggested">
        <SuggestedUsers limit={3} />
        <p>
          <Link href="/search">See more people</Link>
        </p>
      </div>
      <h2>Popular now</h2>
      <PostGrid posts={paged.items} />
      <PagedFooter
        state={paged}
        empty="Nothing to explore yet: popular posts from people you don’t follow show up here."
      />
    </section>
  );
}
