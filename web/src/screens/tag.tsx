// Placeholder while this screen is built; replaced by its real implementation.
export function TagScreen(_props: { tag: string }) {
  return <h1>TagScreen</h1>;
}
