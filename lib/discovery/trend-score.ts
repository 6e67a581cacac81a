import { HOUR_MS } from "./tables";

/** A tag's distinct authors in one hour: how many, and (some of) who. */
export interface HourAuthors {
  /** The hour's first millisecond. */
  hour: number;
  /** Distinct authors; at least `authorIds.length` (the ids may be cut short). */
  authors: number;
  authorIds: readonly string[];
}

export interface TrendInput {
  /** The hours of the window, any order. */
  hours: readonly HourAuthors[];
  /** The tag's usual distinct authors per hour (the mean over the week before the window). */
  baseline: number;
  now: number;
  halfLifeMs: number;
  /** Fewer distinct authors than this over the window never trend, however the counts compare. */
  minAuthors: number;
  /** Authors who do not count (for this reader: blocked either way; for everyone: suspended). */
  excluded?: ReadonlySet<string>;
  /** When each author's uses start to count (ms): an hour that began before carries none of theirs (new accounts). */
  countsFrom?: ReadonlyMap<string, number>;
}

export interface Trend {
  score: number;
  /** Distinct authors over the window, each counted once. */
  authors: number;
  /** The hours as counted: each author in the latest hour they used the tag, excluded authors left out. */
  hours: HourAuthors[];
}

/**
 * How much a tag trends. Like Mastodon's tag trends (observed against expected, squared over expected) and
 * Instagram's (distinct accounts, not posts), per hour:
 *
 * - each author counts once over the whole window, in the latest hour they used the tag, so 50 posts from one
 *   account are one author, and an account posting every hour is one author, not twenty-four;
 * - each hour's excess over the tag's own baseline scores (excess²) / max(baseline, 1): a new tag used by 5 people
 *   scores 25, a tag 10 people use every hour scores nothing for 10 and little for 13;
 * - each hour's score is halved every `halfLifeMs` of its age (from the middle of the hour), so a burst fades;
 * - under `minAuthors` distinct authors, nothing trends.
 */
export function trendScore(input: TrendInput): Trend {
  const seen = new Set<string>();
  const hours: HourAuthors[] = [];
  for (const hour of [...input.hours].sort((a, b) => b.hour - a.hour)) {
    const ids = hour.authorIds.filter(
      (id) =>
        !seen.has(id) && !(input.excluded?.has(id) ?? false) && (input.countsFrom?.get(id) ?? 0) <= hour.hour,
    );
    for (const id of ids) seen.add(id);
    // Authors beyond the ids kept cannot be told apart: they count as they were counted.
    const unlisted = Math.max(0, hour.authors - hour.authorIds.length);
    hours.push({ hour: hour.hour, authors: ids.length + unlisted, authorIds: ids });
  }
  const authors = hours.reduce((sum, h) => sum + h.authors, 0);
  if (authors < input.minAuthors) return { score: 0, authors, hours };
  const expected = Math.max(input.baseline, 0);
  let score = 0;
  for (const hour of hours) {
    const excess = hour.authors - expected;
    if (excess <= 0) continue;
    const age = Math.max(0, input.now - (hour.hour + HOUR_MS / 2));
    score += ((excess * excess) / Math.max(expected, 1)) * decay(age, input.halfLifeMs);
  }
  return { score, authors, hours };
}

/** The weight left after `ageMs` with a half-life of `halfLifeMs`. */
export function decay(ageMs: number, halfLifeMs: number): number {
  return Math.pow(0.5, Math.max(0, ageMs) / halfLifeMs);
}
