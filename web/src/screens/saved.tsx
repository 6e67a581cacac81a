import { page } from "../api/client";
import type { PostView } from "../api/types";
import { PagedFooter, usePaged } from "../components/paged-list";
import { PostGrid } from "../components/post-grid";

/** The posts one saved, newest save first; only oneself sees this list. */
export function SavedScreen() {
  const paged = usePaged<PostView>((cursor) => page<PostView>("/me/saved", cursor, 18), []);
  return (
    <section class="saved">
      <h1>Saved</h1>
      <p class="muted">Only you can see what you’ve saved.</p>
      <PostGrid posts={paged.items} />
      <PagedFooter state={paged} empty="Nothing saved yet: use Save on a post to keep it here." />
    </section>
  );
}
