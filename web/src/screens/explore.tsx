// Placeholder while this screen is built; replaced by its real implementation.
export function ExploreScreen() {
  return <h1>ExploreScreen</h1>;
}
