/**
 * The LevelDB key space of LevelStore, and how slice bounds and page tokens map onto it.
 *
 *   row            <table name> 00 <partition columns> <clustering columns>
 *   expiry index   00 'x' <expiry ms, int64> <row key>     (value: length of the row's partition prefix)
 *
 * Table names are snake_case, so they never hold 0x00 and never start with it: "<name> 00" can be a prefix of
 * no other table's keys (where one name ends the other has a letter, not 00), and the expiry index cannot meet
 * a table. Within a table every column encoding is prefix-free (see key-codec), so byte order is clustering
 * order and the rows of one partition are exactly the keys that start with its prefix.
 */
import { hash } from "node:crypto";
import { InvalidPageTokenError } from "./errors";
import {
  assertColumnValue,
  decodeKey,
  encodeKey,
  encodeKeyValue,
  prefixEnd,
  sameKeyValue,
} from "./key-codec";
import type { KeyColumn } from "./key-codec";
import type { AnyTable, ColumnType } from "./schema";

export interface TableLayout {
  readonly table: AnyTable;
  /** `<name> 00`. */
  readonly prefix: Buffer;
  readonly partitionColumns: readonly KeyColumn[];
  readonly clusteringColumns: readonly KeyColumn[];
  readonly valueColumns: ReadonlyMap<string, ColumnType>;
}

/** A half-open key range [gte, lt); every range here has this shape, which keeps intersections trivial. */
export interface KeyRange {
  readonly gte: Buffer;
  readonly lt: Buffer;
}

export interface SliceBounds {
  readonly gt?: Readonly<Record<string, unknown>>;
  readonly gte?: Readonly<Record<string, unknown>>;
  readonly lt?: Readonly<Record<string, unknown>>;
  readonly lte?: Readonly<Record<string, unknown>>;
}

/** What a page token is bound to: a token only resumes the query that issued it. */
export interface PagedQuery {
  readonly tableName: string;
  readonly partition: Buffer;
  readonly range: KeyRange;
  readonly reverse: boolean;
}

export function layoutOf(table: AnyTable): TableLayout {
  const typeOf = (name: string): ColumnType => {
    const type = table.columns[name];
    if (type === undefined) throw new Error(`table ${table.name}: key column ${name} is not declared`);
    return type;
  };
  const keyNames = new Set<string>([...table.partitionKey, ...table.clustering.map((c) => c.column)]);
  return {
    table,
    prefix: Buffer.from(`${table.name}\u0000`, "utf8"),
    partitionColumns: table.partitionKey.map((name) => ({ name, type: typeOf(name), order: "asc" })),
    clusteringColumns: table.clustering.map((c) => ({
      name: c.column,
      type: typeOf(c.column),
      order: c.order,
    })),
    valueColumns: new Map(Object.entries(table.columns).filter(([name]) => !keyNames.has(name))),
  };
}

/** Encodes a partition key; throws TypeError naming a missing or mistyped column. */
export function partitionPrefix(layout: TableLayout, partition: Readonly<Record<string, unknown>>): Buffer {
  return encodeKey(layout.partitionColumns, partition, layout.prefix);
}

/** Encodes a full primary key, answering the partition prefix too (it names the lock and checks batches). */
export function rowKeyOf(
  layout: TableLayout,
  key: Readonly<Record<string, unknown>>,
): { partition: Buffer; row: Buffer } {
  const partition = partitionPrefix(layout, key);
  return { partition, row: encodeKey(layout.clusteringColumns, key, partition) };
}

/**
 * The key of a row that must lie in a given partition (a batch's), or undefined when it lies in another. The
 * partition columns are compared by value rather than encoded again for every op of the batch.
 */
export function rowKeyIn(
  layout: TableLayout,
  partition: { readonly prefix: Buffer; readonly values: Readonly<Record<string, unknown>> },
  key: Readonly<Record<string, unknown>>,
): Buffer | undefined {
  for (const column of layout.partitionColumns) {
    const value = key[column.name];
    // The partition's values were checked when it was encoded, so a value equal to one is valid too.
    if (sameKeyValue(value, partition.values[column.name])) continue;
    assertColumnValue(column.name, column.type, value);
    return undefined;
  }
  return encodeKey(layout.clusteringColumns, key, partition.prefix);
}

/** Rebuilds every key column from a stored row key. */
export function decodeRowKey(layout: TableLayout, key: Buffer): Record<string, unknown> {
  const partition = decodeKey(layout.partitionColumns, key, layout.prefix.length);
  const row = decodeKey(layout.clusteringColumns, key, partition.offset, partition.value);
  if (row.offset !== key.length) {
    throw new RangeError(`corrupt key in ${layout.table.name}: trailing bytes`);
  }
  return row.value;
}

/**
 * Decodes the keys of one partition's rows, as a slice reads them: the partition columns once, then only each
 * row's clustering part.
 */
export function partitionRowDecoder(
  layout: TableLayout,
  partition: Buffer,
): (key: Buffer) => Record<string, unknown> {
  const { value: partitionColumns } = decodeKey(layout.partitionColumns, partition, layout.prefix.length);
  return (key) => {
    const row = copyKeyColumns(partitionColumns);
    const { offset } = decodeKey(layout.clusteringColumns, key, partition.length, row);
    if (offset !== key.length) throw new RangeError(`corrupt key in ${layout.table.name}: trailing bytes`);
    return row;
  };
}

/** Each row gets its own Dates and Buffers, as if its key had been decoded whole: callers may change them. */
function copyKeyColumns(columns: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const name in columns) {
    const value = columns[name];
    if (value instanceof Date) copy[name] = new Date(value.getTime());
    else if (Buffer.isBuffer(value)) copy[name] = Buffer.from(value);
    else copy[name] = value;
  }
  return copy;
}

export function partitionRange(partition: Buffer): KeyRange {
  return { gte: partition, lt: prefixEnd(partition) };
}

/**
 * Turns CQL-like value bounds into one key range. Rows whose bounded columns equal the bound's values occupy the
 * block [start, prefixEnd(start)). For asc columns value order is byte order; for desc columns the bytes are
 * inverted, so value order is the reverse of byte order and a value bound lands on the other side:
 *
 *   asc:  gt → from block end    gte → from block start    lt → to block start    lte → to block end
 *   desc: gt → to block start    gte → to block end        lt → from block end    lte → from block start
 */
export function sliceRange(layout: TableLayout, partition: Buffer, bounds: SliceBounds): KeyRange {
  rejectDoubleBound(bounds.gt, bounds.gte, "gt", "gte");
  rejectDoubleBound(bounds.lt, bounds.lte, "lt", "lte");
  let range = partitionRange(partition);
  for (const kind of ["gt", "gte", "lt", "lte"] as const) {
    const bound = bounds[kind];
    if (bound !== undefined) range = intersect(range, boundRange(layout, partition, kind, bound));
  }
  return range;
}

function rejectDoubleBound(
  strict: unknown,
  inclusive: unknown,
  strictName: string,
  inclusiveName: string,
): void {
  // CQL refuses two restrictions on the same end of a slice; accepting them here would let callers rely on it.
  if (strict !== undefined && inclusive !== undefined) {
    throw new Error(`slice: give ${strictName} or ${inclusiveName}, not both`);
  }
}

function boundRange(
  layout: TableLayout,
  partition: Buffer,
  kind: "gt" | "gte" | "lt" | "lte",
  bound: Readonly<Record<string, unknown>>,
): KeyRange {
  const columns = boundColumns(layout, kind, bound);
  if (columns.length === 0) return partitionRange(partition);
  const blockStart = encodeKey(columns, bound, partition);
  const blockEnd = prefixEnd(blockStart);
  const valueAbove = kind === "gt" || kind === "gte";
  const includesEqual = kind === "gte" || kind === "lte";
  // Above in value is above in bytes for asc columns and below for desc ones (their bytes are inverted).
  const bytesAbove = valueAbove === (columns[0]?.order === "asc");
  const whole = partitionRange(partition);
  if (bytesAbove) return { gte: includesEqual ? blockStart : blockEnd, lt: whole.lt };
  return { gte: whole.gte, lt: includesEqual ? blockEnd : blockStart };
}

/** The clustering columns a bound names, checked to be a prefix of one declared order. */
function boundColumns(
  layout: TableLayout,
  kind: string,
  bound: Readonly<Record<string, unknown>>,
): readonly KeyColumn[] {
  const named = Object.keys(bound).filter((name) => bound[name] !== undefined);
  const all = layout.clusteringColumns;
  for (const name of named) {
    if (!all.some((column) => column.name === name)) {
      throw new Error(`slice ${kind}: ${name} is not a clustering column of ${layout.table.name}`);
    }
  }
  const columns = all.slice(0, named.length);
  if (!columns.every((column) => named.includes(column.name))) {
    const expected = all.map((column) => column.name).join(", ");
    throw new Error(`slice ${kind} must name a prefix of the clustering columns (${expected})`);
  }
  if (columns.some((column) => column.order !== columns[0]?.order)) {
    throw new Error(
      `slice ${kind}: the columns of one bound must share one order, and ${named.join(", ")} do not`,
    );
  }
  return columns;
}

function intersect(a: KeyRange, b: KeyRange): KeyRange {
  return {
    gte: Buffer.compare(a.gte, b.gte) >= 0 ? a.gte : b.gte,
    lt: Buffer.compare(a.lt, b.lt) <= 0 ? a.lt : b.lt,
  };
}

export function isEmptyRange(range: KeyRange): boolean {
  return Buffer.compare(range.gte, range.lt) >= 0;
}

const TOKEN_VERSION = 1;
const FINGERPRINT_BYTES = 8;
const TOKEN_HEADER = 1 + FINGERPRINT_BYTES;

/** `version | fingerprint | clustering bytes of the last row returned`, in base64url. */
export function encodePageToken(query: PagedQuery, lastKey: Buffer): string {
  const clustering = lastKey.subarray(query.partition.length);
  return Buffer.concat([Buffer.from([TOKEN_VERSION]), fingerprint(query, clustering), clustering]).toString(
    "base64url",
  );
}

/** Narrows the query's range to what follows the token's row, strictly, so no row repeats. */
export function resumeRange(query: PagedQuery, token: string): KeyRange {
  const lastKey = Buffer.concat([query.partition, tokenClustering(query, token)]);
  if (query.reverse) return intersect(query.range, { gte: query.range.gte, lt: lastKey });
  // The successor of a byte string s is s 00, so "after lastKey" is still a closed lower bound.
  return intersect(query.range, { gte: Buffer.concat([lastKey, Buffer.from([0])]), lt: query.range.lt });
}

function tokenClustering(query: PagedQuery, token: string): Buffer {
  const bytes = Buffer.from(token, "base64url");
  // Node's decoder skips characters it does not know; re-encoding catches garbage and altered padding bits.
  if (bytes.toString("base64url") !== token || bytes.length < TOKEN_HEADER || bytes[0] !== TOKEN_VERSION) {
    throw new InvalidPageTokenError();
  }
  const clustering = bytes.subarray(TOKEN_HEADER);
  if (!fingerprint(query, clustering).equals(bytes.subarray(1, TOKEN_HEADER))) {
    throw new InvalidPageTokenError("the page token belongs to another query or was altered");
  }
  return clustering;
}

/**
 * Covers the last key too, not only the query, so that editing the key part of a token is caught as well. It is
 * a consistency check, not a secret: tokens only ever select rows the caller may read with another query anyway.
 * The parts are framed with their lengths into one buffer and hashed in one call, a third cheaper than feeding
 * them to a Hash object one by one (and the same digest, so tokens handed out before still resume).
 */
function fingerprint(query: PagedQuery, clustering: Buffer): Buffer {
  const parts = [
    Buffer.from(query.tableName, "utf8"),
    query.partition,
    query.range.gte,
    query.range.lt,
    Buffer.from([query.reverse ? 1 : 0]),
    clustering,
  ];
  let size = 0;
  for (const part of parts) size += 4 + part.length;
  const framed = Buffer.allocUnsafe(size);
  let at = 0;
  for (const part of parts) {
    at = framed.writeUInt32BE(part.length, at);
    at += part.copy(framed, at);
  }
  return hash("sha256", framed, "buffer").subarray(0, FINGERPRINT_BYTES);
}

export const EXPIRY_INDEX_PREFIX = Buffer.from([0x00, 0x78]);
const EXPIRY_INDEX_HEADER = EXPIRY_INDEX_PREFIX.length + 8;

export function expiryIndexKey(expiresAt: number, rowKey: Buffer): Buffer {
  return Buffer.concat([EXPIRY_INDEX_PREFIX, encodeKeyValue("int", expiresAt), rowKey]);
}

/** The index value keeps the partition prefix length so the sweeper can lock the row's partition. */
export function expiryIndexValue(partition: Buffer): Buffer {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(partition.length);
  return value;
}

/** Index entries of rows that expire at or before `now` lie in this range. */
export function expiredIndexRange(now: number): KeyRange {
  return {
    gte: EXPIRY_INDEX_PREFIX,
    lt: Buffer.concat([EXPIRY_INDEX_PREFIX, encodeKeyValue("int", now + 1)]),
  };
}

/** The whole expiry index. */
export function expiryIndexRange(): KeyRange {
  return { gte: EXPIRY_INDEX_PREFIX, lt: prefixEnd(EXPIRY_INDEX_PREFIX) };
}

/** The table of the row an index entry stands for: its row key starts with `<table name> 00`. */
export function tableOfIndexKey(indexKey: Buffer): string {
  const nameEnd = indexKey.indexOf(0x00, EXPIRY_INDEX_HEADER);
  if (nameEnd < 0) throw new RangeError("corrupt expiry index entry");
  return indexKey.toString("utf8", EXPIRY_INDEX_HEADER, nameEnd);
}

export function parseExpiryIndexEntry(
  indexKey: Buffer,
  value: Buffer,
): { rowKey: Buffer; partition: Buffer } {
  const rowKey = indexKey.subarray(EXPIRY_INDEX_HEADER);
  const partitionLength = value.length === 4 ? value.readUInt32BE(0) : -1;
  if (partitionLength < 0 || partitionLength > rowKey.length) {
    throw new RangeError("corrupt expiry index entry");
  }
  return { rowKey, partition: rowKey.subarray(0, partitionLength) };
}
