import { z } from "zod";
import type { TagView } from "../contracts/objects";
import { mapLimit } from "./map-limit";
import type { AuthorStanding, BlockLists } from "./ports";
import type { Snapshot, Snapshots } from "./snapshots";
import { HOUR_MS, hourOf } from "./tables";
import type { TagUses } from "./tag-uses";
import { trendScore, type HourAuthors, type Trend } from "./trend-score";

const SNAPSHOT = "trending";
/** The hours that trend (the current one and those before it), and the week before them that is each tag's usual. */
export const WINDOW_HOURS = 24;
export const BASELINE_HOURS = 7 * 24;
/** Tags whose baseline a round reads: the best by their window alone, which the baseline can only lower. */
const CANDIDATES = 300;
/** Tags kept in a snapshot: more than a page (50), since a reader's blocks may take some out. */
const KEPT = 60;
/** Author ids kept per tag in the snapshot, for leaving out a reader's blocks. */
const IDS_PER_TAG = 200;
/** How long a node answers from the snapshot it holds before it asks the store whether a newer one exists. */
const RELOAD_MS = 5_000;
/** Blocks of one reader taken into account (a list read per request). */
const MAX_BLOCKS = 5_000;
const PARALLEL = 16;

export interface TrendingSettings {
  /** Fewest distinct authors over the window for a tag to trend. */
  minAuthors: number;
  halfLifeMs: number;
}

const hourSchema = z.object({
  hour: z.number(),
  authors: z.number(),
  authorIds: z.array(z.string()),
});
const entrySchema = z.object({ tag: z.string(), baseline: z.number(), hours: z.array(hourSchema) });
type TrendEntry = z.infer<typeof entrySchema>;

/**
 * Trending tags: computed every round (a minute) by one node into a small stored snapshot (the candidates with
 * their baseline and their window's authors), answered from each node's copy of it, scored again per reader
 * without the authors the reader blocks or is blocked by. Counting is distinct authors per tag and hour against
 * the tag's own week (trend-score.ts); deleted posts stop counting on the next round (their rows are gone and
 * their hour is counted again), and suspended authors would through `standing`.
 */
export class TrendingTags {
  private latest: { snapshot: Snapshot<TrendEntry>; checkedAt: number } | undefined;
  private readonly now: () => number;

  constructor(
    private readonly deps: {
      uses: TagUses;
      counts: { tagPostCount(tag: string): Promise<number> };
      snapshots: Snapshots;
      blocks: BlockLists;
      standing: AuthorStanding;
      settings: TrendingSettings;
      now?: () => number;
    },
  ) {
    this.now = deps.now ?? Date.now;
  }

  /** One periodic round: computes the snapshot if no other node took this round. */
  async refresh(holder: string, roundSeconds: number): Promise<boolean> {
    if (!(await this.deps.snapshots.claim(SNAPSHOT, holder, Math.max(1, roundSeconds - 1)))) return false;
    await this.compute();
    return true;
  }

  /** Computes and stores a new snapshot, and answers from it at once on this node. */
  async compute(): Promise<Snapshot<TrendEntry>> {
    const { uses, settings } = this.deps;
    const now = this.now();
    const current = hourOf(now);
    const windowStart = current - (WINDOW_HOURS - 1) * HOUR_MS;
    const windowHours = Array.from({ length: WINDOW_HOURS }, (_, i) => windowStart + i * HOUR_MS);
    const tags = [...(await uses.activeIn(windowHours))].sort();
    const windowed = await mapLimit(tags, PARALLEL, async (tag) => ({
      tag,
      hours: await uses.hours(tag, windowStart, current),
    }));
    const authorIds = [...new Set(windowed.flatMap((w) => w.hours.flatMap((h) => h.authorIds)))];
    const [excluded, countsFrom] = await Promise.all([
      this.deps.standing.excluded(authorIds),
      this.deps.standing.countsFrom(authorIds),
    ]);
    const score = (hours: readonly HourAuthors[], baseline: number): Trend =>
      trendScore({ hours, baseline, now, excluded, countsFrom, ...settings });
    const candidates = windowed
      .map((w) => ({ ...w, trend: score(w.hours, 0) }))
      .filter((c) => c.trend.score > 0)
      .sort(byScore)
      .slice(0, CANDIDATES);
    const scored = await mapLimit(candidates, PARALLEL, async (c) => {
      const usual = await uses.hours(c.tag, windowStart - BASELINE_HOURS * HOUR_MS, windowStart - HOUR_MS);
      const baseline = usual.reduce((sum, h) => sum + h.authors, 0) / BASELINE_HOURS;
      return { tag: c.tag, baseline, trend: score(c.hours, baseline) };
    });
    const entries: TrendEntry[] = scored
      .filter((s) => s.trend.score > 0)
      .sort(byScore)
      .slice(0, KEPT)
      .map((s) => ({ tag: s.tag, baseline: s.baseline, hours: keepIds(s.trend.hours, IDS_PER_TAG) }));
    const snapshot = await this.deps.snapshots.save(SNAPSHOT, entries);
    this.latest = { snapshot, checkedAt: this.now() };
    return snapshot;
  }

  /** The reader's trending tags, most trending first, with how many posts carry each now. */
  async top(viewerId: string, limit: number): Promise<TagView[]> {
    const snapshot = await this.current();
    if (snapshot === undefined) return [];
    const blocked = new Set(await this.deps.blocks.blockedEitherWayIds(viewerId, MAX_BLOCKS));
    const ranked = snapshot.entries
      .map((entry) => ({
        tag: entry.tag,
        trend: trendScore({
          hours: entry.hours,
          baseline: entry.baseline,
          now: snapshot.computedAt,
          excluded: blocked,
          ...this.deps.settings,
        }),
      }))
      .filter((r) => r.trend.score > 0)
      .sort(byScore)
      .slice(0, limit);
    return Promise.all(
      ranked.map(async (r) => ({ tag: r.tag, postCount: await this.deps.counts.tagPostCount(r.tag) })),
    );
  }

  private async current(): Promise<Snapshot<TrendEntry> | undefined> {
    const now = this.now();
    const held = this.latest;
    if (held !== undefined && now - held.checkedAt < RELOAD_MS) return held.snapshot;
    const pointer = await this.deps.snapshots.current(SNAPSHOT);
    if (pointer === undefined) return held?.snapshot;
    if (held?.snapshot.generation === pointer.generation) {
      held.checkedAt = now;
      return held.snapshot;
    }
    const loaded = await this.deps.snapshots.load(SNAPSHOT, pointer.generation, entrySchema);
    if (loaded !== undefined) this.latest = { snapshot: loaded, checkedAt: now };
    return loaded ?? held?.snapshot;
  }
}

function byScore(a: { tag: string; trend: Trend }, b: { tag: string; trend: Trend }): number {
  return b.trend.score - a.trend.score || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0);
}

/** The hours with at most `max` author ids in all, the latest hours' first (counts unchanged). */
function keepIds(hours: readonly HourAuthors[], max: number): TrendEntry["hours"] {
  let left = max;
  return [...hours]
    .sort((a, b) => b.hour - a.hour)
    .map((hour) => {
      const authorIds = hour.authorIds.slice(0, left);
      left -= authorIds.length;
      return { hour: hour.hour, authors: hour.authors, authorIds };
    });
}
