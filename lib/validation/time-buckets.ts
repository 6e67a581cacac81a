import { idTimestamp } from "../ids";

/**
 * How a list splits time into buckets, each one its own store partition. A bucket is named by the first
 * millisecond (Unix epoch) of its window, so the number in a key reads as a date and the walk never needs to do
 * bucket arithmetic: it reads the list's bucket index instead (see bucketed-list.ts).
 */
export interface BucketScheme {
  /** For logs and docs: "month", "hour", "250 ms". */
  readonly label: string;
  /** The longest window, for the lifetime of index rows of lists whose rows expire. */
  readonly maxWidthMs: number;
  /** The start of the window holding `ms`. */
  startOf(ms: number): number;
}

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

/** Calendar months (UTC): "one month of likes of one post" is what a partition holds at most. */
export const MONTHLY: BucketScheme = Object.freeze({
  label: "month",
  maxWidthMs: 31 * DAY_MS,
  startOf(ms: number): number {
    const date = new Date(ms);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  },
});

/** Fixed windows of `widthMs`, aligned on the Unix epoch: hours for short-lived lists, milliseconds in tests. */
export function every(widthMs: number): BucketScheme {
  if (!Number.isSafeInteger(widthMs) || widthMs < 1) {
    throw new RangeError(`a bucket is a whole number of ms ≥ 1, got ${widthMs}`);
  }
  const label = widthMs === HOUR_MS ? "hour" : widthMs === DAY_MS ? "day" : `${widthMs} ms`;
  return Object.freeze({
    label,
    maxWidthMs: widthMs,
    startOf: (ms: number) => Math.floor(ms / widthMs) * widthMs,
  });
}

export const HOURLY = every(HOUR_MS);

/**
 * The bucketing of one list. It is fixed for the life of the data (rows are found by the bucket of their id), so
 * production code never changes it; tests swap in tiny buckets with `use` to make a few items span many buckets
 * without a config variable, and put the original back with the function it answers.
 */
export class TimeBuckets {
  private current: BucketScheme;

  constructor(private readonly original: BucketScheme) {
    this.current = original;
  }

  get scheme(): BucketScheme {
    return this.current;
  }

  /** The bucket of a row keyed by this Snowflake id: the window of the id's timestamp. */
  of(id: string): number {
    return this.current.startOf(idTimestamp(id).getTime());
  }

  /** For tests: buckets by `scheme` until the answered function is called. */
  use(scheme: BucketScheme): () => void {
    this.current = scheme;
    return () => {
      this.current = this.original;
    };
  }
}
