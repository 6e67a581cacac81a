import { BadRequestError } from "../errors";
import type { AnyTable, PartitionKey } from "../store/schema";
import { InvalidPageTokenError } from "../store/errors";
import type { Slice, WideRowStore } from "../store/store";

/** A page request as the actions pass it: `limit` already checked (1–100), `cursor` opaque. */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export type { Page } from "../validation/page";

/**
 * One page of one partition in its clustering order. The cursor is the store's page token: it resumes after the
 * last key read, so rows that arrive meanwhile on either side of it neither repeat nor shift the page.
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
    if (error instanceof InvalidPageTokenError) {
      throw new BadRequestError("INVALID_CURSOR", "the cursor is not one this list handed out", {
        field: "cursor",
      });
    }
    throw error;
  }
}
