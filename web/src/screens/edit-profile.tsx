// Placeholder while this screen is built; replaced by its real implementation.
export function EditProfileScreen() {
  return <h1>EditProfileScreen</h1>;
}
