// Placeholder while this screen is built; replaced by its real implementation.
export function NotificationsScreen() {
  return <h1>NotificationsScreen</h1>;
}
