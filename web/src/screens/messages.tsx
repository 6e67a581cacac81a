// Placeholder while this screen is built; replaced by its real implementation.
export function MessagesScreen(_props: { conversationId?: string }) {
  return <h1>MessagesScreen</h1>;
}
