// Placeholder while this screen is built; replaced by its real implementation.
export function FollowRequestsScreen() {
  return <h1>FollowRequestsScreen</h1>;
}
