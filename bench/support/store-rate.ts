import type { SnowflakeGenerator } from "../../lib/ids";
import type { LevelStore } from "../../lib/store/level";
import { homeTimeline, timeline } from "../../lib/timeline/tables";

/** Followers of one fan-out page (the node's default FANOUT_PAGE_SIZE), and ids per generated page. */
const PAGE = 500;

export interface StoreWriteRates {
  /** Timeline rows per second, 500 rows per batch into one partition: the store's best case. */
  batchOfPage: number;
  /** Timeline rows per second, one row into each of 500 partitions at once: what fan-out asks of the store. */
  rowPerPartition: number;
}

/**
 * The store's own write rate for timeline rows, without the node: the ceiling a fan-out could reach. Fresh
 * users and posts, so nothing overwrites a seeded row; both shapes write `rows` rows after a page of warm-up.
 */
export async function storeWriteRates(
  store: LevelStore,
  ids: SnowflakeGenerator,
  rows: number,
): Promise<StoreWriteRates> {
  const author_id = await ids.next();
  const post_id = await ids.next();
  // Ids first, so that the clock measures writes only; one page more than measured, for the warm-up.
  const pages = Math.max(1, Math.round(rows / PAGE)) + 1;
  const batches = await pagesOfIds(ids, pages);
  const batchOfPage = await rowsPerSecond(batches, async ([user_id = "", ...posts]) => {
    // Ids minted together share a month: one partition of the bucketed timeline.
    const partition = homeTimeline.partitionOf(user_id, posts[0] ?? post_id);
    await store.batch(
      timeline,
      partition,
      posts.map((p) => ({ op: "put" as const, row: { ...partition, post_id: p, author_id } })),
    );
    return posts.length;
  });
  const fanouts = await pagesOfIds(ids, pages);
  const rowPerPartition = await rowsPerSecond(fanouts, async (users) => {
    await Promise.all(
      users.map((user_id) =>
        store.batch(timeline, homeTimeline.partitionOf(user_id, post_id), [
          { op: "put", row: { ...homeTimeline.partitionOf(user_id, post_id), post_id, author_id } },
        ]),
      ),
    );
    return users.length;
  });
  return { batchOfPage, rowPerPartition };
}

/** `count` lists of PAGE fresh ids (a batch's user and its posts, or a fan-out page's users). */
async function pagesOfIds(ids: SnowflakeGenerator, count: number): Promise<string[][]> {
  const pages: string[][] = [];
  for (let i = 0; i < count; i++)
    pages.push(await Promise.all(Array.from({ length: PAGE }, () => ids.next())));
  return pages;
}

/** Writes the first page to warm up, then the others on the clock; answers rows per second. */
async function rowsPerSecond(
  pages: readonly string[][],
  write: (page: string[]) => Promise<number>,
): Promise<number> {
  const [warmUp = [], ...measured] = pages;
  await write(warmUp);
  const start = performance.now();
  let rows = 0;
  for (const page of measured) {
    rows += await write(page);
  }
  return rows / ((performance.now() - start) / 1000);
}
