// Placeholder while this screen is built; replaced by its real implementation.
export function FeedScreen() {
  return <h1>FeedScreen</h1>;
}
