import { compareIds } from "../ids";
import type { EngagementEvent } from "./engagement-log";
import { HOUR_MS } from "./tables";
import { decay } from "./trend-score";

/** A comment says more than a like: it takes writing. */
export const COMMENT_WEIGHT = 2;
/** Posts of one author on one page of explore. */
export const MAX_PER_AUTHOR = 2;

export interface RankedPost {
  postId: string;
  authorId: string;
}

export interface HeatedPost extends RankedPost {
  score: number;
}

/**
 * Posts by how fast they gain likes and comments: each like (or comment, weighing COMMENT_WEIGHT) counts
 * half as much every `halfLifeMs` of its age (from the middle of its hour), so a post liked by 30 people this
 * hour ranks above one liked by 50 a day ago. Events are added batch by batch (a round reads a day of them), so
 * what is kept is one entry per post, not every event.
 */
export class HeatTally {
  private readonly heat = new Map<string, HeatedPost>();

  constructor(
    private readonly now: number,
    private readonly halfLifeMs: number,
  ) {}

  add(events: Iterable<EngagementEvent>): void {
    for (const event of events) {
      const age = this.now - (event.hour + HOUR_MS / 2);
      const weight = (event.kind === "comment" ? COMMENT_WEIGHT : 1) * decay(age, this.halfLifeMs);
      const post = this.heat.get(event.postId);
      if (post === undefined)
        this.heat.set(event.postId, { postId: event.postId, authorId: event.authorId, score: weight });
      else post.score += weight;
    }
  }

  /** Highest first; ties by the newer post. */
  ranked(): HeatedPost[] {
    return [...this.heat.values()].sort((a, b) => b.score - a.score || compareIds(b.postId, a.postId));
  }
}

/** The events' posts as HeatTally ranks them. */
export function rankByHeat(events: Iterable<EngagementEvent>, now: number, halfLifeMs: number): HeatedPost[] {
  const tally = new HeatTally(now, halfLifeMs);
  tally.add(events);
  return tally.ranked();
}

/**
 * The next candidates of a page of a ranking: from position `from`, up to `want` entries that `skip` lets
 * through, with no author past `maxPerAuthor` counting those already on the page (`onPage`), looking no further
 * than position `until`. `next` is where the page goes on: after the last entry picked, or `until`. An author's
 * posts past their two on a page are passed over for good (explore is a sample, not a list: no repeats).
 */
export function pickCandidates<T extends RankedPost>(
  ranked: readonly T[],
  options: {
    from: number;
    until: number;
    want: number;
    skip: (entry: T) => boolean;
    onPage: ReadonlyMap<string, number>;
    maxPerAuthor?: number;
  },
): { picked: T[]; next: number } {
  const max = options.maxPerAuthor ?? MAX_PER_AUTHOR;
  const counts = new Map(options.onPage);
  const picked: T[] = [];
  let next = options.from;
  const until = Math.min(options.until, ranked.length);
  while (next < until && picked.length < options.want) {
    const entry = ranked[next];
    next++;
    if (entry === undefined || options.skip(entry)) continue;
    const count = counts.get(entry.authorId) ?? 0;
    if (count >= max) continue;
    counts.set(entry.authorId, count + 1);
    picked.push(entry);
  }
  return { picked, next };
}
