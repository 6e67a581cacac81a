// Placeholder while this screen is built; replaced by its real implementation.
export function FollowListScreen(_props: { username: string; which: "followers" | "following" }) {
  return <h1>FollowListScreen</h1>;
}
