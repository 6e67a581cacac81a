import { randomBytes } from "node:crypto";
import { z } from "zod";
import { idTimestamp } from "../ids";
import type { ListedPost, PostListing } from "../posts/posts";
import type { WideRowStore } from "../store/store";
import type { Row } from "../store/schema";
import { ACTIVITY_SHARDS, activeTags, dayOf, HOUR_MS, hourOf, shardOf, tagHours, tagUses } from "./tables";
import type { HourAuthors } from "./trend-score";

/** Author ids kept with an hour's count, for leaving out blocked and suspended authors. */
export const TREND_IDS_PER_HOUR = 500;
/** Tags read from one shard of one hour: a round's candidates are bounded whatever the traffic. */
const TAGS_PER_SHARD_HOUR = 2_000;
const SLICE = 1_000;

const authorIdList = z.array(z.string());

/**
 * Who used which tag when, for trending: a row per post in its tag's hour (so a deleted post stops counting), the
 * hour named in the tag's day of hours, and the tag named among the hour's active tags. Every write is a put of
 * a row keyed by what it records, so a listing re-run after a crash writes the same rows again (idempotent).
 *
 * Distinct authors per tag and hour are counted by trending's rounds, not here: a listing only marks its hour
 * changed (a fresh `touched` token), and a round counts again each hour whose count was made under another token.
 */
export class TagUses implements PostListing {
  constructor(private readonly store: WideRowStore) {}

  async listed(post: ListedPost): Promise<void> {
    const hour = hourOfPost(post.postId);
    await Promise.all(
      post.hashtags.map(async (tag) => {
        await this.store.put(tagUses, { tag, hour, author_id: post.authorId, post_id: post.postId });
        await this.store.put(activeTags, { hour, shard: shardOf(tag), tag });
        await this.touch(tag, hour);
      }),
    );
  }

  async unlisted(post: ListedPost): Promise<void> {
    const hour = hourOfPost(post.postId);
    await Promise.all(
      post.hashtags.map(async (tag) => {
        await this.store.delete(tagUses, { tag, hour, author_id: post.authorId, post_id: post.postId });
        await this.touch(tag, hour);
      }),
    );
  }

  /** The tags used in the hours given (at most TAGS_PER_SHARD_HOUR per shard and hour). */
  async activeIn(hours: readonly number[]): Promise<Set<string>> {
    const tags = new Set<string>();
    const reads = hours.flatMap((hour) =>
      Array.from({ length: ACTIVITY_SHARDS }, async (_, shard) => {
        let pageToken: string | undefined;
        let seen = 0;
        do {
          const slice = await this.store.slice(
            activeTags,
            { hour, shard },
            {
              limit: Math.min(SLICE, TAGS_PER_SHARD_HOUR - seen),
              ...(pageToken !== undefined && { pageToken }),
            },
          );
          for (const row of slice.rows) tags.add(row.tag);
          seen += slice.rows.length;
          pageToken = slice.nextPageToken;
        } while (pageToken !== undefined && seen < TAGS_PER_SHARD_HOUR);
      }),
    );
    await Promise.all(reads);
    return tags;
  }

  /**
   * The tag's distinct authors in each hour from `fromHour` to `toHour` (inclusive) in which it was used, oldest
   * first, counting again the hours changed since they were last counted.
   */
  async hours(tag: string, fromHour: number, toHour: number): Promise<HourAuthors[]> {
    const days: number[] = [];
    for (let day = dayOf(fromHour); day <= toHour; day += 24 * HOUR_MS) days.push(day);
    const rows = (await Promise.all(days.map((day) => this.dayRows(tag, day)))).flat();
    const inRange = rows.filter((row) => row.hour >= fromHour && row.hour <= toHour);
    return Promise.all(inRange.map((row) => this.counted(tag, row)));
  }

  private async dayRows(tag: string, day: number): Promise<Row<typeof tagHours>[]> {
    // At most 24 rows: one page.
    return (await this.store.slice(tagHours, { tag, day }, { limit: 24 })).rows;
  }

  private async counted(tag: string, row: Row<typeof tagHours>): Promise<HourAuthors> {
    if (row.authors !== undefined && row.computed === row.touched) {
      return { hour: row.hour, authors: row.authors, authorIds: parseIds(row.author_ids) };
    }
    // Counted under the token read before the rows: a listing after the read leaves another token, counted again.
    const authorIds = await this.distinctAuthors(tag, row.hour);
    const counted: HourAuthors = {
      hour: row.hour,
      authors: authorIds.length,
      authorIds: authorIds.slice(0, TREND_IDS_PER_HOUR),
    };
    await this.store.put(tagHours, {
      tag,
      day: row.day,
      hour: row.hour,
      ...(row.touched !== undefined && { computed: row.touched }),
      authors: counted.authors,
      author_ids: JSON.stringify(counted.authorIds),
    });
    return counted;
  }

  /** The authors of the tag's rows in the hour, once each (rows cluster by author: one walk of the partition). */
  private async distinctAuthors(tag: string, hour: number): Promise<string[]> {
    const authors: string[] = [];
    let pageToken: string | undefined;
    do {
      const slice = await this.store.slice(
        tagUses,
        { tag, hour },
        { limit: SLICE, ...(pageToken !== undefined && { pageToken }) },
      );
      for (const row of slice.rows) {
        if (authors[authors.length - 1] !== row.author_id) authors.push(row.author_id);
      }
      pageToken = slice.nextPageToken;
    } while (pageToken !== undefined);
    return authors;
  }

  private async touch(tag: string, hour: number): Promise<void> {
    await this.store.put(tagHours, {
      tag,
      day: dayOf(hour),
      hour,
      touched: randomBytes(9).toString("base64url"),
    });
  }
}

/** The hour a post counts in: its id's time, which its listing and its removal both know. */
function hourOfPost(postId: string): number {
  return hourOf(idTimestamp(postId).getTime());
}

function parseIds(text: string | undefined): string[] {
  if (text === undefined) return [];
  const parsed = authorIdList.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : [];
}
