// Placeholder while this screen is built; replaced by its real implementation.
export function PostScreen(_props: { id: string }) {
  return <h1>PostScreen</h1>;
}
