// Placeholder while this screen is built; replaced by its real implementation.
export function SavedScreen() {
  return <h1>SavedScreen</h1>;
}
