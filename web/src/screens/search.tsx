// Placeholder while this screen is built; replaced by its real implementation.
export function SearchScreen() {
  return <h1>SearchScreen</h1>;
}
