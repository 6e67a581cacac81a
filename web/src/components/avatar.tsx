import type { UserView } from "../api/types";

/** A user's picture, or their initial on a colour of their own when they have none. */
export function Avatar(props: { user: Pick<UserView, "username" | "avatarUrl">; size?: "s" | "m" | "l" }) {
  const size = props.size ?? "s";
  const { user } = props;
  if (user.avatarUrl) {
    return (
      <img class={`avatar avatar-${size}`} src={user.avatarUrl} alt="" loading="lazy" decoding="async" />
    );
  }
  const hue = [...user.username].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7);
  return (
    <span
      class={`avatar avatar-${size} avatar-initial`}
      aria-hidden="true"
      ref={(el) => el?.style.setProperty("--hue", String(hue))}
    >
      {user.username.slice(0, 1).toUpperCase()}
    </span>
  );
}
