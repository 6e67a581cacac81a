import { createHash } from "node:crypto";
import { isId } from "../ids";
import { defineTable } from "../store/schema";
import type { AnyTable, ClusteringPrefix, PartitionKey, Row } from "../store/schema";
import type { SliceOptions, WideRowStore } from "../store/store";
import { invalidCursor, type PageRequest } from "./page";
import type { TimeBuckets } from "./time-buckets";
import { LruMap } from "../concurrency/lru-map";

/**
 * The buckets each bucketed list has used, newest first, one row per bucket in the list owner's partition (at most
 * a dozen rows a year for monthly buckets). Walks read it instead of stepping through time, so a list whose items
 * are years apart costs one read per bucket that holds something, and an empty stretch costs nothing; it also
 * finds rows written into old buckets (a backfilled post) and buckets a little ahead of this node's clock (an id
 * minted on a node whose clock runs ahead). Rows are never removed, except by the TTL of lists whose rows expire:
 * a bucket emptied by deletes costs one empty read.
 */
export const listBuckets = defineTable({
  name: "list_buckets",
  columns: { list: "text", owner_id: "id", bucket: "int" },
  partitionKey: ["list", "owner_id"],
  clustering: [{ column: "bucket", order: "desc" }],
});

/** Where a row sits in its list: its clustering values, the first one the Snowflake id it is bucketed by. */
export type Position = readonly [string, ...string[]];

export interface BucketedListShape<T extends AnyTable> {
  /** Names the list in the bucket index and in its cursors: unique among lists, and never changed. */
  readonly name: string;
  readonly table: T;
  readonly buckets: TimeBuckets;
  /** The order of the table's first clustering column: newest-first lists are declared `desc`. */
  readonly order: "newest-first" | "oldest-first";
  /** How many ids a position holds (and a cursor carries). */
  readonly positionWidth: number;
  /** The partition of one bucket of the owner's list. */
  readonly partition: (owner: string, bucket: number) => PartitionKey<T>;
  readonly position: (row: Row<T>) => Position;
  /** The clustering bound at a position (bounds compare by value, so the first id alone is enough if unique). */
  readonly at: (position: Position) => ClusteringPrefix<T>;
  /** The TTL of the list's rows, if they expire: the bucket index outlives them and then expires too. */
  readonly rowTtlSeconds?: number;
}

/** Buckets known to be in the index, per store and list, so a write checks it once per node, not every time. */
const INDEXED_PER_LIST = 10_000;
const INDEX_PAGE = 64;
/** Rows read per page when counting a list. */
const COUNT_PAGE = 1_000;
const MAX_SLICE = 1000;
/** Index rows of expiring lists live this much past their last possible row, for clocks that disagree. */
const INDEX_TTL_MARGIN_SECONDS = 24 * 3600;

/**
 * A list split into time buckets, each its own partition, so no partition grows past one bucket of one owner's
 * items: the one implementation behind every bucketed list (likes, comments, saves, posts, the timeline,
 * notifications, conversations, messages, follower lists, story viewers).
 *
 * Pages walk the buckets in the list's order (newest or oldest first) through the bucket index, resuming after a
 * position: rows that arrive meanwhile before the cursor never shift a page, so a list that grows while it is
 * paged repeats and skips nothing. The cursor carries the bucket, the position in it and a fingerprint of both
 * with the list and its owner: a cursor of another list, of another owner's list, or altered, is a 400. The
 * fingerprint is a consistency check, not a secret: a forged cursor can only pick a position in a list the caller
 * may read anyway.
 */
export class BucketedList<T extends AnyTable> {
  private readonly indexed = new WeakMap<WideRowStore, LruMap<string, true>>();

  constructor(readonly shape: BucketedListShape<T>) {
    const declared = shape.table.clustering[0]?.order;
    const wanted = shape.order === "newest-first" ? "desc" : "asc";
    if (declared !== wanted) {
      throw new Error(
        `list ${shape.name}: ${shape.order} needs ${shape.table.name} clustered ${wanted} first`,
      );
    }
    if (!/^[a-z][a-z0-9_]*$/.test(shape.name)) throw new Error(`list name ${shape.name} is not snake_case`);
  }

  bucketOf(id: string): number {
    return this.shape.buckets.of(id);
  }

  /** The partition holding the row keyed by `id`: for point reads and deletes. */
  partitionOf(owner: string, id: string): PartitionKey<T> {
    return this.shape.partition(owner, this.bucketOf(id));
  }

  /**
   * The partition to write the row keyed by `id` into, after making sure the bucket index names it. The index
   * row goes first: a crash in between leaves an empty bucket listed (one wasted read), never a row no walk finds.
   */
  async writePartition(store: WideRowStore, owner: string, id: string): Promise<PartitionKey<T>> {
    const bucket = this.bucketOf(id);
    const known = this.knownBuckets(store);
    const key = `${owner}:${bucket}`;
    if (known.get(key) === undefined) {
      const ttl = this.shape.rowTtlSeconds;
      await store.put(
        listBuckets,
        { list: this.shape.name, owner_id: owner, bucket },
        ttl === undefined
          ? undefined
          : {
              ttlSeconds:
                ttl + Math.ceil(this.shape.buckets.scheme.maxWidthMs / 1000) + INDEX_TTL_MARGIN_SECONDS,
            },
      );
      known.set(key, true);
    }
    return this.shape.partition(owner, bucket);
  }

  /** One page of api.md: `limit` rows after the cursor, in the list's order, and the cursor of the next page. */
  async page(
    store: WideRowStore,
    owner: string,
    request: PageRequest,
  ): Promise<{ rows: Row<T>[]; nextCursor: string | null }> {
    const after = request.cursor === undefined ? undefined : this.openCursor(owner, request.cursor);
    const { rows, more } = await this.walk(store, owner, { ...(after && { after }), limit: request.limit });
    const last = rows[rows.length - 1];
    return { rows, nextCursor: more && last ? this.cursorAt(owner, this.shape.position(last)) : null };
  }

  /**
   * Up to `limit` rows in the list's order, strictly after `after` and strictly before `until` when given;
   * `more` is true when rows past the last one answered remain (exact: one more row is read to know).
   */
  async walk(
    store: WideRowStore,
    owner: string,
    options: { after?: Position | undefined; until?: Position | undefined; limit: number },
  ): Promise<{ rows: Row<T>[]; more: boolean }> {
    const rows = await this.collect(store, owner, options, options.limit + 1);
    return { rows: rows.slice(0, options.limit), more: rows.length > options.limit };
  }

  /** Like `walk`, for callers that need no `more`: it reads no row past the `limit`th (the newest message). */
  async first(
    store: WideRowStore,
    owner: string,
    options: { after?: Position | undefined; until?: Position | undefined; limit: number },
  ): Promise<Row<T>[]> {
    return this.collect(store, owner, options, options.limit);
  }

  /**
   * How many rows the owner's list holds, read bucket by bucket: a repair's recount (a post's likes after a like
   * cut short by a crash), not something to run per request.
   */
  async count(store: WideRowStore, owner: string): Promise<number> {
    let total = 0;
    for await (const bucket of this.bucketsBetween(store, owner, undefined, undefined)) {
      let pageToken: string | undefined;
      do {
        const slice = await store.slice(this.shape.table, this.shape.partition(owner, bucket), {
          limit: COUNT_PAGE,
          ...(pageToken !== undefined && { pageToken }),
        });
        total += slice.rows.length;
        pageToken = slice.nextPageToken;
      } while (pageToken);
    }
    return total;
  }

  /** Removes every row of the owner's list, bucket by bucket (the index rows stay: see listBuckets). */
  async removeAll(store: WideRowStore, owner: string): Promise<void> {
    const buckets: number[] = [];
    for await (const bucket of this.bucketsBetween(store, owner, undefined, undefined)) buckets.push(bucket);
    await Promise.all(
      buckets.map((b) => store.deletePartition(this.shape.table, this.shape.partition(owner, b))),
    );
  }

  /**
   * Removes the owner's list altogether, its bucket index included, for an account's erasure: nothing naming the
   * owner is left. Lists of conditional tables cannot be deleted by partition: their callers delete the rows one
   * by one, as they were written, then call `forgetIndex`.
   */
  async erase(store: WideRowStore, owner: string): Promise<void> {
    await this.removeAll(store, owner);
    await this.forgetIndex(store, owner);
  }

  /** Removes the owner's bucket index, and this node's memory of having written it (a later write writes it again). */
  async forgetIndex(store: WideRowStore, owner: string): Promise<void> {
    const buckets: number[] = [];
    for await (const bucket of this.bucketsBetween(store, owner, undefined, undefined)) buckets.push(bucket);
    await store.deletePartition(listBuckets, { list: this.shape.name, owner_id: owner });
    const known = this.knownBuckets(store);
    for (const b of buckets) known.delete(`${owner}:${b}`);
  }

  /** The cursor of the page that starts right after `position` in the owner's list. */
  cursorAt(owner: string, position: Position): string {
    const bucket = this.bucketOf(position[0]);
    const parts = [this.shape.name, String(bucket), ...position];
    return Buffer.from([...parts, this.fingerprint(owner, parts)].join("."), "utf8").toString("base64url");
  }

  /** The position a cursor of this owner's list resumes after; anything else is a 400 INVALID_CURSOR. */
  openCursor(owner: string, cursor: string): Position {
    const bytes = Buffer.from(cursor, "base64url");
    // Node's decoder skips characters it does not know; re-encoding catches them and altered padding bits.
    if (bytes.toString("base64url") !== cursor) throw invalidCursor();
    const parts = bytes.toString("utf8").split(".");
    if (parts.length !== 3 + this.shape.positionWidth) throw invalidCursor();
    const [name, bucket, first, ...rest] = parts;
    const fingerprint = rest.pop();
    if (name !== this.shape.name || first === undefined || !isId(first) || !rest.every(isId))
      throw invalidCursor();
    if (bucket !== String(this.bucketOf(first))) throw invalidCursor();
    if (fingerprint !== this.fingerprint(owner, parts.slice(0, -1))) throw invalidCursor();
    return [first, ...rest];
  }

  private fingerprint(owner: string, parts: readonly string[]): string {
    return createHash("sha256")
      .update([owner, ...parts].join("\n"))
      .digest("base64url")
      .slice(0, 12);
  }

  /** Up to `want` rows between the bounds, bucket by bucket in the list's order. */
  private async collect(
    store: WideRowStore,
    owner: string,
    bounds: { after?: Position | undefined; until?: Position | undefined },
    want: number,
  ): Promise<Row<T>[]> {
    const { after, until } = bounds;
    const rows: Row<T>[] = [];
    const first = after === undefined ? undefined : this.bucketOf(after[0]);
    const last = until === undefined ? undefined : this.bucketOf(until[0]);
    // A stop before the start: nothing lies between them.
    if (first !== undefined && last !== undefined && this.beyond(first, last)) return rows;
    for await (const bucket of this.bucketsBetween(store, owner, first, last)) {
      await this.readBucket(store, owner, bucket, rows, want, {
        ...(bucket === first && after !== undefined && { after }),
        ...(bucket === last && until !== undefined && { until }),
      });
      if (rows.length >= want) break;
    }
    return rows;
  }

  /** True when bucket `a` comes after bucket `b` in the list's order. */
  private beyond(a: number, b: number): boolean {
    return this.shape.order === "newest-first" ? a < b : a > b;
  }

  /** The owner's buckets in the list's order, from `first` to `last` inclusive (either open). */
  private async *bucketsBetween(
    store: WideRowStore,
    owner: string,
    first: number | undefined,
    last: number | undefined,
  ): AsyncGenerator<number> {
    const newestFirst = this.shape.order === "newest-first";
    const [upper, lower] = newestFirst ? [first, last] : [last, first];
    let pageToken: string | undefined;
    do {
      const slice = await store.slice(
        listBuckets,
        { list: this.shape.name, owner_id: owner },
        {
          limit: INDEX_PAGE,
          reverse: !newestFirst,
          ...(upper !== undefined && { lte: { bucket: upper } }),
          ...(lower !== undefined && { gte: { bucket: lower } }),
          ...(pageToken !== undefined && { pageToken }),
        },
      );
      for (const row of slice.rows) yield row.bucket;
      pageToken = slice.nextPageToken;
    } while (pageToken !== undefined);
  }

  /** Appends the bucket's rows (between the bounds) to `into` until it holds `want`. */
  private async readBucket(
    store: WideRowStore,
    owner: string,
    bucket: number,
    into: Row<T>[],
    want: number,
    bounds: { after?: Position; until?: Position },
  ): Promise<void> {
    const newestFirst = this.shape.order === "newest-first";
    const range: SliceOptions<T> = {};
    if (bounds.after !== undefined) range[newestFirst ? "lt" : "gt"] = this.shape.at(bounds.after);
    if (bounds.until !== undefined) range[newestFirst ? "gt" : "lt"] = this.shape.at(bounds.until);
    const partition = this.shape.partition(owner, bucket);
    let pageToken: string | undefined;
    do {
      const slice = await store.slice(this.shape.table, partition, {
        ...range,
        limit: Math.min(MAX_SLICE, want - into.length),
        ...(pageToken !== undefined && { pageToken }),
      });
      into.push(...slice.rows);
      pageToken = slice.nextPageToken;
    } while (pageToken !== undefined && into.length < want);
  }

  private knownBuckets(store: WideRowStore): LruMap<string, true> {
    let known = this.indexed.get(store);
    if (known === undefined) {
      known = new LruMap(INDEXED_PER_LIST);
      this.indexed.set(store, known);
    }
    return known;
  }
}
