// Placeholder while this screen is built; replaced by its real implementation.
export function ProfileScreen(_props: { username: string }) {
  return <h1>ProfileScreen</h1>;
}
