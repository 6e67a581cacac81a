const STEPS: [unit: Intl.RelativeTimeFormatUnit, size: number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
];
/** The interface is in English: its times are too, whatever the browser's language. */
const LONG = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const SHORT = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });
const EXACT = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

/**
 * "5 minutes ago" ("5 min. ago" when `short`) for the last week, a date after that, as Instagram does. Under 45
 * seconds is "just now", in the future too: clocks a little apart would say "in 2 seconds" for what was just sent.
 */
export function relativeTime(iso: string, options: { short?: boolean; now?: number } = {}): string {
  const now = options.now ?? Date.now();
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  let amount = (now - then) / 1000;
  if (amount < 45) return "just now";
  const format = options.short ? SHORT : LONG;
  for (const [unit, size] of STEPS) {
    if (amount < size) return format.format(-Math.floor(amount), unit);
    amount /= size;
  }
  const date = new Date(then);
  return date.toLocaleDateString("en", {
    month: "short",
    day: "numeric",
    year: date.getFullYear() === new Date(now).getFullYear() ? undefined : "numeric",
  });
}

/** A `<time>` saying how long ago, with the exact date and time on hover. */
export function TimeAgo(props: { iso: string; class?: string; short?: boolean }) {
  const then = Date.parse(props.iso);
  return (
    <time
      class={props.class}
      dateTime={props.iso}
      title={Number.isNaN(then) ? undefined : EXACT.format(then)}
    >
      {relativeTime(props.iso, { short: props.short })}
    </time>
  );
}
