import { ConditionalTableError } from "./errors";
/**
 * Table declarations for the wide-row store. A table is declared once here and every adapter derives its
 * physical layout from it: the embedded adapter its key encoding, the Cassandra adapter its CQL.
 *
 * The model is Cassandra's: a partition key picks one partition (the owning user's id, which is the sharding),
 * clustering keys sort the rows inside it, and every query reads one partition slice.
 */

/** Column types, named after what they hold rather than after one backend. */
export type ColumnType =
  /** A Snowflake id (or any unsigned 63-bit integer) as a decimal string; CQL `bigint`. */
  | "id"
  | "text"
  /** A safe integer; CQL `bigint`. */
  | "int"
  | "boolean"
  /** Milliseconds since the epoch, as a Date; CQL `timestamp`. */
  | "timestamp"
  | "blob"
  /** A 64-bit counter, read as a number; only in counter tables, and there every non-key column is one. */
  | "counter";

export interface ColumnValueTypes {
  id: string;
  text: string;
  int: number;
  boolean: boolean;
  timestamp: Date;
  blob: Buffer;
  counter: number;
}

export type ClusteringOrder = "asc" | "desc";

export interface TableDef<
  C extends Record<string, ColumnType> = Record<string, ColumnType>,
  P extends readonly (keyof C & string)[] = readonly (keyof C & string)[],
  K extends readonly ClusteringColumn<keyof C & string>[] = readonly ClusteringColumn<keyof C & string>[],
> {
  readonly name: string;
  readonly columns: C;
  readonly partitionKey: P;
  readonly clustering: K;
  /** Default time to live of a written row, in seconds. A write may give its own. */
  readonly ttlSeconds?: number;
  /** Counter tables hold only counters besides their key, and are changed only through `increment`. */
  readonly counter?: boolean;
  /**
   * Rows decided by a lightweight transaction (a claim, a like, a lease). Cassandra orders lightweight
   * transactions by Paxos ballots and plain writes by their own timestamps, so a plain write to such a row can
   * land before a conditional one it followed, or be shadowed by it: every write here must be conditional
   * (insertIfAbsent, updateIf, deleteIf), and the adapters refuse the others.
   */
  readonly conditional?: boolean;
  /**
   * Rows written to be deleted soon (work in flight: fan-out jobs, journalled writes). Cassandra keeps a deleted
   * row's tombstone for `gc_grace_seconds` (10 days by default) and reads every tombstone of a partition it slices,
   * so such a table purges them after an hour. A delete that a replica missed may then bring a row back, which
   * these tables' readers take as work to do again, and their work is idempotent.
   */
  readonly transient?: boolean;
}

export interface ClusteringColumn<N extends string = string> {
  readonly column: N;
  readonly order: ClusteringOrder;
}

/** Declares a table, keeping its literal types so rows and keys are typed from the declaration. */
export function defineTable<
  const C extends Record<string, ColumnType>,
  const P extends readonly (keyof C & string)[],
  const K extends readonly ClusteringColumn<keyof C & string>[] = readonly [],
>(def: {
  name: string;
  columns: C;
  partitionKey: P;
  clustering?: K;
  ttlSeconds?: number;
  counter?: boolean;
  conditional?: boolean;
  transient?: boolean;
}): TableDef<C, P, K> {
  const clustering = (def.clustering ?? []) as unknown as K;
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(def.name)) throw new Error(`table name ${def.name} is not snake_case`);
  const keyColumns = [...def.partitionKey, ...clustering.map((c) => c.column)];
  if (def.partitionKey.length === 0) throw new Error(`table ${def.name} needs a partition key`);
  if (new Set(keyColumns).size !== keyColumns.length)
    throw new Error(`table ${def.name} repeats a key column`);
  for (const [column, type] of Object.entries(def.columns)) {
    const isKey = keyColumns.includes(column);
    if (type === "counter" && (isKey || !def.counter)) {
      throw new Error(`table ${def.name}: counter column ${column} outside a counter table's values`);
    }
    if (def.counter && !isKey && type !== "counter") {
      throw new Error(`table ${def.name}: counter tables hold only counters (${column})`);
    }
  }
  if (def.counter && def.conditional) throw new Error(`table ${def.name}: counters cannot be conditional`);
  return Object.freeze({ ...def, clustering });
}

/** Plain writes (put, delete, batch, deletePartition) would race the table's conditional ones: see `conditional`. */
export function assertPlainWritable(table: AnyTable, operation: string): void {
  if (table.conditional === true) throw new ConditionalTableError(table.name, operation);
}

type ColumnsOf<T> = T extends TableDef<infer C, infer _P, infer _K> ? C : never;
type PartitionOf<T> = T extends TableDef<infer _C, infer P, infer _K> ? P[number] : never;
type ClusteringNamesOf<T> = T extends TableDef<infer _C, infer _P, infer K> ? K[number]["column"] : never;
type ValueOf<T, N> = N extends keyof ColumnsOf<T> ? ColumnValueTypes[ColumnsOf<T>[N]] : never;

type KeyColumnsOf<T> = PartitionOf<T> | ClusteringNamesOf<T>;
type ValueColumnsOf<T> = Exclude<keyof ColumnsOf<T> & string, KeyColumnsOf<T>>;

/** The values that pick a partition. */
export type PartitionKey<T> = { [N in PartitionOf<T>]: ValueOf<T, N> };
/** The full primary key: partition and every clustering column. */
export type PrimaryKey<T> = { [N in KeyColumnsOf<T>]: ValueOf<T, N> };
/** A prefix of the clustering columns, used for slice bounds. */
export type ClusteringPrefix<T> = { [N in ClusteringNamesOf<T>]?: ValueOf<T, N> };
/** A stored row as read: the key, and the value columns that were ever written (others are absent). */
export type Row<T> = PrimaryKey<T> & { [N in ValueColumnsOf<T>]?: ValueOf<T, N> };
/** What a write sets: the key and any value columns (an upsert: columns not named keep their value). */
export type RowWrite<T> = PrimaryKey<T> & { [N in ValueColumnsOf<T>]?: ValueOf<T, N> };
/** Counter deltas for `increment`. */
export type CounterDeltas<T> = { [N in ValueColumnsOf<T>]?: number };

export type AnyTable = TableDef;
