import type { ComponentChildren } from "preact";

interface IconProps {
  class?: string;
  /** Drawn solid: a state that is on (liked, saved). */
  filled?: boolean;
}

/**
 * The app's icons: line drawings on a 24 × 24 grid in the text colour (`.icon` in styles.css), 24 px unless a
 * rule sizes them. Always decorative: the control that holds one carries the name (visible or visually hidden).
 */
function Icon(props: IconProps & { children: ComponentChildren }) {
  const classes = ["icon", props.filled ? "filled" : "", props.class ?? ""].filter(Boolean).join(" ");
  return (
    <svg class={classes} viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
      {props.children}
    </svg>
  );
}

export function HeartIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M12 20.5s-7.5-4.6-9.3-9.4C1.5 7.8 3.6 4.5 7 4.5c2 0 3.5 1.1 5 3 1.5-1.9 3-3 5-3 3.4 0 5.5 3.3 4.3 6.6-1.8 4.8-9.3 9.4-9.3 9.4z" />
    </Icon>
  );
}

export function CommentIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M20.5 11.5a8.5 8.5 0 0 1-12.6 7.4L3.5 20.5l1.6-4.3A8.5 8.5 0 1 1 20.5 11.5z" />
    </Icon>
  );
}

/** Sending: sharing a post, and direct messages. */
export function PaperPlaneIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M21.5 3 10.2 13.8M21.5 3l-7 18-4.3-7.2L3 9.8z" />
    </Icon>
  );
}

export function BookmarkIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M19 21.5 12 16l-7 5.5V3.5h14z" />
    </Icon>
  );
}

export function ChevronIcon(props: IconProps & { left?: boolean }) {
  return (
    <Icon class={props.class}>
      <path d={props.left ? "M15 5l-7 7 7 7" : "M9 5l7 7-7 7"} />
    </Icon>
  );
}

export function LockIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <rect x="5" y="11" width="14" height="10" rx="2" />
      <path d="M8 11V7a4 4 0 0 1 8 0v4" />
    </Icon>
  );
}

export function CameraIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M3 8.5A1.5 1.5 0 0 1 4.5 7h2.8L9 4.5h6L16.7 7h2.8A1.5 1.5 0 0 1 21 8.5v10a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 18.5z" />
      <circle cx="12" cy="13" r="3.8" />
    </Icon>
  );
}

/** Two squares, one behind the other: a post with several photos or videos. */
export function SeveralIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <rect x="7" y="3" width="14" height="14" rx="2" />
      <path d="M4 7v12a2 2 0 0 0 2 2h12" />
    </Icon>
  );
}

export function HomeIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M3.5 10.5 12 3.5l8.5 7V20a.5.5 0 0 1-.5.5h-5v-6h-6v6H4a.5.5 0 0 1-.5-.5z" />
    </Icon>
  );
}

export function SearchIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <circle cx="10.5" cy="10.5" r="7" />
      <path d="m20.5 20.5-5-5" />
    </Icon>
  );
}

export function CompassIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <circle cx="12" cy="12" r="9" />
      <path d="m15.8 8.2-2.3 5.3-5.3 2.3 2.3-5.3z" />
    </Icon>
  );
}

export function ReelsIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <rect x="3.5" y="3.5" width="17" height="17" rx="4" />
      <path d="M3.5 8.5h17M8 3.5l2.5 5M13.5 3.5l2.5 5" />
      <path d="m10.5 12 4 2.5-4 2.5z" />
    </Icon>
  );
}

export function PlusSquareIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <rect x="3.5" y="3.5" width="17" height="17" rx="4" />
      <path d="M12 8v8M8 12h8" />
    </Icon>
  );
}

export function UserIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <circle cx="12" cy="8" r="4" />
      <path d="M4.5 20.5a7.5 7.5 0 0 1 15 0" />
    </Icon>
  );
}
