import type { AnyTable, Row } from "./schema";
import type { Slice, WideRowStore } from "./store";

/** Rows read per page of a scan. */
const SCAN_PAGE = 500;

/**
 * Runs `write` for every row of the table, a page at a time; answers how many rows there were. A full scan: for
 * repairs and backfills, never on a request's path.
 */
export async function forEachRow<T extends AnyTable>(
  store: WideRowStore,
  table: T,
  write: (row: Row<T>) => Promise<void>,
): Promise<number> {
  let count = 0;
  let pageToken: string | undefined;
  do {
    const page: Slice<T> = await store.scan(table, {
      limit: SCAN_PAGE,
      ...(pageToken !== undefined && { pageToken }),
    });
    for (const row of page.rows) await write(row);
    count += page.rows.length;
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return count;
}
