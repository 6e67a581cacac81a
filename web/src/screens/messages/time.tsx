const UNITS: [unit: Intl.RelativeTimeFormatUnit, seconds: number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** "5 min. ago", "yesterday": how long ago `iso` was, in the reader's language. */
export function relativeTime(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  if (!Number.isFinite(seconds)) return "";
  // Clocks a little apart would say "in 2 s" for something just sent.
  if (Math.abs(seconds) < 45) return "just now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(Math.round(seconds / 60), "minute");
}

/** A `<time>` saying how long ago, with the exact date and time on hover. */
export function Ago(props: { iso: string; class?: string }) {
  const date = new Date(props.iso);
  return (
    <time
      class={props.class}
      dateTime={props.iso}
      title={Number.isNaN(date.getTime()) ? undefined : absolute.format(date)}
    >
      {relativeTime(props.iso)}
    </time>
  );
}
