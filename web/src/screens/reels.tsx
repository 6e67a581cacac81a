import { page } from "../api/client";
import type { PostView } from "../api/types";
import { PagedFooter, usePaged } from "../components/paged-list";
import { PostCard } from "../components/post-card";
import "../styles/posts.css";

/**
 * Reels: video posts one under the other, the accounts one follows first, then others'. A video started counts
 * as a play for its author's insights (PostCard reports it).
 */
export function ReelsScreen() {
  const reels = usePaged<PostView>((cursor) => page<PostView>("/reels", cursor, 5), []);
  return (
    <section class="reels feed">
      <h1>Reels</h1>
      {reels.items.map((post) => (
        <PostCard key={post.id} post={post} />
      ))}
      <PagedFooter state={reels} empty="No reels yet: videos people post show here." />
    </section>
  );
}
