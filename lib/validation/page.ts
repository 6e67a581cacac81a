import { BadRequestError } from "../errors";
import { InvalidPageTokenError } from "../store/errors";
import type { AnyTable, PartitionKey } from "../store/schema";
import type { Slice, WideRowStore } from "../store/store";
import { z } from "zod";

/** A `limit` from 1 to `max` (`fallback` when absent); query strings arrive as text. */
export function pageLimit(max: number, fallback: number) {
  const message = `must be a whole number from 1 to ${max}`;
  return z.coerce.number({ error: message }).int(message).min(1, message).max(max, message).default(fallback);
}

/** api.md's paging: `limit` 1–100 (default 20) and an opaque `cursor`; query strings arrive as text. */
export const pageParams = {
  limit: pageLimit(100, 20),
  cursor: z
    .string()
    .min(1, "must not be empty")
    .max(2048, "is not a cursor of ours")
    .regex(/^[A-Za-z0-9_-]+$/, "is not a cursor of ours")
    .optional(),
};

/** api.md's answer for a list: a page of items and the cursor of the next, null at the end. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A page request as the actions pass it: `limit` already checked (1–100), `cursor` opaque. */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/** A cursor this list did not hand out (another list's, another owner's, altered, or not a cursor at all). */
export function invalidCursor(): BadRequestError {
  return new BadRequestError("INVALID_CURSOR", "the cursor is not one this list handed out", {
    field: "cursor",
  });
}

/**
 * One page of one partition in its clustering order, for partitions bounded by design; a list that grows with
 * use is bucketed and pages through BucketedList (bucketed-list.ts) instead. The cursor is the store's page
 * token: it resumes after the last key read, so rows that arrive meanwhile on either side of it neither repeat
 * nor shift the page.
 */
export async function slicePage<T extends AnyTable>(
  store: WideRowStore,
  table: T,
  partition: PartitionKey<T>,
  page: PageRequest,
): Promise<Slice<T>> {
  try {
    return await store.slice(table, partition, {
      limit: page.limit,
      ...(page.cursor !== undefined && { pageToken: page.cursor }),
    });
  } catch (error) {
    if (error instanceof InvalidPageTokenError) throw invalidCursor();
    throw error;
  }
}
