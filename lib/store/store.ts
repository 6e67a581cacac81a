import type {
  AnyTable,
  ClusteringPrefix,
  CounterDeltas,
  PartitionKey,
  PrimaryKey,
  Row,
  RowWrite,
} from "./schema";

/**
 * The wide-row store port. Every operation touches one partition, so Cassandra implements each one with a
 * single statement (or a single-partition batch) and the embedded adapter with one LevelDB batch.
 *
 * Write semantics are Cassandra's: `put` is an upsert of the columns it names; a TTL applies to what that write
 * sets, and a later write without a TTL makes what it sets permanent.
 */
export interface WideRowStore {
  /** Opens connections and applies the schema of every table given. Idempotent. */
  open(tables: readonly AnyTable[]): Promise<void>;
  /** Flushes and closes. Operations after close reject with StoreClosedError. */
  close(): Promise<void>;
  /** True once open and while the backend answers; drives readiness. */
  isReady(): Promise<boolean>;

  get<T extends AnyTable>(table: T, key: PrimaryKey<T>): Promise<Row<T> | undefined>;
  put<T extends AnyTable>(table: T, row: RowWrite<T>, options?: WriteOptions): Promise<void>;
  delete<T extends AnyTable>(table: T, key: PrimaryKey<T>): Promise<void>;
  /** Removes every row of one partition. */
  deletePartition<T extends AnyTable>(table: T, partition: PartitionKey<T>): Promise<void>;

  /**
   * Writes the row only if no live row has its primary key (a lightweight transaction in Cassandra).
   * Answers whether it was applied, and the row that won otherwise.
   */
  insertIfAbsent<T extends AnyTable>(
    table: T,
    row: RowWrite<T>,
    options?: WriteOptions,
  ): Promise<{ applied: true } | { applied: false; existing: Row<T> }>;

  /**
   * Deletes the row only if it is there and its columns hold the values given (none given: if it is there at
   * all), as one lightweight transaction in Cassandra. Answers whether it was deleted: of racing removals of
   * one row exactly one is, so only that one may undo what the row counted. Rows taken with insertIfAbsent
   * should be removed this way: Cassandra orders lightweight transactions and plain writes by different clocks.
   */
  deleteIf<T extends AnyTable>(table: T, key: PrimaryKey<T>, expected?: Partial<Row<T>>): Promise<boolean>;

  /**
   * Writes the value columns of `row` only if the row is there and its columns hold the values given (none
   * given: if it is there at all), as one lightweight transaction in Cassandra. Answers whether it was applied.
   * The write is ordered with the row's other conditional writes, which a plain `put` is not.
   */
  updateIf<T extends AnyTable>(
    table: T,
    row: RowWrite<T>,
    expected?: Partial<Row<T>>,
    options?: WriteOptions,
  ): Promise<boolean>;

  /** Reads rows of one partition in clustering order (or reversed), bounded and paged. */
  slice<T extends AnyTable>(
    table: T,
    partition: PartitionKey<T>,
    options?: SliceOptions<T>,
  ): Promise<Slice<T>>;

  /**
   * Reads every live row of a table, a page at a time, in no order a caller may rely on (token order in
   * Cassandra): for rebuilding what is derived from the store (the search index). A full scan, never on a
   * request's path. `limit` and `pageToken` as for slice.
   */
  scan<T extends AnyTable>(table: T, options?: { limit?: number; pageToken?: string }): Promise<Slice<T>>;

  /** Applies several writes to one partition all at once or not at all. */
  batch<T extends AnyTable>(table: T, partition: PartitionKey<T>, ops: readonly BatchOp<T>[]): Promise<void>;

  /** Adds deltas to counters of a counter table; a counter never written reads as 0. */
  increment<T extends AnyTable>(table: T, key: PrimaryKey<T>, deltas: CounterDeltas<T>): Promise<void>;
}

export interface WriteOptions {
  /** Seconds until what this write sets expires; overrides the table's default. 0 means never. */
  ttlSeconds?: number;
}

/**
 * Bounds compare clustering values as CQL does (by value, whatever the declared order), on a prefix of the
 * clustering columns; the columns a bound names must share one declared order.
 */
export interface SliceOptions<T extends AnyTable> {
  gt?: ClusteringPrefix<T>;
  gte?: ClusteringPrefix<T>;
  lt?: ClusteringPrefix<T>;
  lte?: ClusteringPrefix<T>;
  /** Read in the reverse of the declared clustering order. */
  reverse?: boolean;
  /** Rows per page, 1 to 1000. Defaults to 100. */
  limit?: number;
  /** Opaque token from a previous page of the same query; a token that is not one rejects with InvalidPageTokenError. */
  pageToken?: string;
}

export interface Slice<T extends AnyTable> {
  rows: Row<T>[];
  /** Present when more rows may follow. */
  nextPageToken: string | undefined;
}

export type BatchOp<T extends AnyTable> =
  { op: "put"; row: RowWrite<T>; ttlSeconds?: number } | { op: "delete"; key: PrimaryKey<T> };
