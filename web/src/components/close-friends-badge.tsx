/** Marks a post or story shared with close friends only, as Instagram's green star does. */
export function CloseFriendsBadge() {
  return (
    <span class="close-friends-badge" title="Shared with close friends only">
      <span aria-hidden="true">★</span> Close friends
    </span>
  );
}
