// Placeholder while this screen is built; replaced by its real implementation.
export function ComposeScreen() {
  return <h1>ComposeScreen</h1>;
}
