import { page } from "../api/client";
import type { PostView } from "../api/types";
import { PagedFooter, usePaged } from "../components/paged-list";
import { PostGrid } from "../components/post-grid";

/** The posts carrying a hashtag, newest first. */
export function TagScreen(props: { tag: string }) {
  const tag = props.tag.replace(/^#/, "").toLowerCase();
  const paged = usePaged<PostView>(
    (cursor) => page<PostView>(`/tags/${encodeURIComponent(tag)}/posts`, cursor, 18),
    [tag],
  );
  return (
    <section class="tag-screen">
      <h1>#{tag}</h1>
      <PostGrid posts={paged.items} />
      <PagedFooter state={paged} empty={`No posts with #${tag} yet.`} />
    </section>
  );
}
