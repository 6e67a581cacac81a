// Placeholder while this screen is built; replaced by its real implementation.
export function StoryViewerScreen(_props: { username: string }) {
  return <h1>StoryViewerScreen</h1>;
}
