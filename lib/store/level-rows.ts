/**
 * Rows as LevelStore keeps them, and the rules of their time to live.
 *
 * TTL is kept per cell, as Cassandra does: a write stamps what it sets (and the row's marker) with its expiry, so
 * a later write without TTL makes permanent what it sets and nothing else. A row is visible while its marker or
 * any cell lives. Expired data is invisible at once; the store's sweeper deletes it later through an expiry index
 * that PartitionWrite keeps in the same LevelDB batch as the rows.
 */
import v8 from "node:v8";
import type { ClassicLevel } from "classic-level";
import { decodeRowKey, expiryIndexKey, expiryIndexValue, rowKeyOf } from "./level-keys";
import type { TableLayout } from "./level-keys";
import { assertColumnValue } from "./key-codec";

export type Db = ClassicLevel<Buffer, Buffer>;
export type DbOp = { type: "put"; key: Buffer; value: Buffer } | { type: "del"; key: Buffer };
export type Fields = Record<string, unknown>;

interface StoredCell {
  value: unknown;
  expiresAt: number | undefined;
}

export interface StoredRow {
  cells: Record<string, StoredCell>;
  /** Expiry of the row marker, which every write refreshes; undefined is never. */
  expiresAt: number | undefined;
}

/** A checked write: where it goes, the value columns it sets and when they expire. */
export interface ParsedWrite {
  partition: Buffer;
  row: Buffer;
  values: Fields;
  expiresAt: number | undefined;
  /** It sets every value column, so the row it replaces contributes nothing to the result. */
  setsEveryColumn: boolean;
}

/**
 * Checks a write against the table; key columns must all be there, value columns are optional. `key` is the
 * write's key when the caller has already encoded it.
 */
export function parseWrite(
  layout: TableLayout,
  fields: Fields,
  expiresAt: number | undefined,
  key: { partition: Buffer; row: Buffer } = rowKeyOf(layout, fields),
): ParsedWrite {
  const { partition, row } = key;
  const values: Fields = {};
  let count = 0;
  for (const name in fields) {
    const value = fields[name];
    const type = layout.valueColumns.get(name);
    if (type === undefined) {
      if (layout.table.columns[name] === undefined) {
        throw new TypeError(`column ${name}: not a column of ${layout.table.name}`);
      }
      continue;
    }
    if (value === undefined) continue;
    assertColumnValue(name, type, value);
    values[name] = value;
    count += 1;
  }
  return { partition, row, values, expiresAt, setsEveryColumn: count === layout.valueColumns.size };
}

/**
 * The writes to one partition under its lock: reads see what earlier steps staged, and commit writes rows and
 * their expiry index entries in one LevelDB batch.
 *
 * Most writes need no read at all: in a table that never had a TTL, a write that replaces a whole row (or deletes
 * it) has no use for the row it replaces, which has no expiry index entry either. Such "blind" writes are kept in
 * order and committed as they are; LevelDB applies a batch in order, so the last write to a row wins, as it would
 * through `staged`. They move into `staged` only when a read needs to see them.
 */
export class PartitionWrite {
  /** Rows as stored before this write, whose expiry index entries the commit replaces. */
  private readonly before = new Map<string, StoredRow | undefined>();
  private readonly staged = new Map<string, Staged>();
  /** Whole-row puts (their write) and deletes (undefined) of rows, in order. */
  private blind: { key: Buffer; write: ParsedWrite | undefined }[] = [];

  /** `mayHoldExpiring` is false when no row of the table can have an expiry index entry. */
  constructor(
    private readonly db: Db,
    private readonly partition: Buffer,
    private readonly now: number,
    private readonly mayHoldExpiring: boolean,
    /** Writes the staged operations, all or none (one LevelDB batch, maybe shared: level-group-commit.ts). */
    private readonly write: (ops: readonly DbOp[]) => Promise<void> = (ops) => db.batch([...ops]),
  ) {}

  /** The live part of a row, or undefined when it is absent or expired. */
  read(key: Buffer): StoredRow | undefined {
    this.stageBlind();
    return this.readId(key.toString("latin1"), key);
  }

  /** Replaces a row read before (undefined deletes it). */
  set(key: Buffer, after: StoredRow | undefined): void {
    const id = key.toString("latin1");
    const known = this.before.has(id) || this.staged.has(id);
    if (!known) throw new Error("PartitionWrite.set needs the row read first");
    this.staged.set(id, { key, after });
  }

  /** Stages an upsert, reading the row it changes only when the result or the expiry index depends on it. */
  upsert(write: ParsedWrite): void {
    if (!this.mayHoldExpiring && write.setsEveryColumn && write.expiresAt === undefined) {
      this.blind.push({ key: write.row, write });
      return;
    }
    const id = write.row.toString("latin1");
    this.stageBlind();
    this.staged.set(id, { key: write.row, after: upsert(this.readId(id, write.row), write) });
  }

  delete(key: Buffer): void {
    if (!this.mayHoldExpiring) {
      this.blind.push({ key, write: undefined });
      return;
    }
    const id = key.toString("latin1");
    this.stageBlind();
    this.readId(id, key);
    this.staged.set(id, { key, after: undefined });
  }

  async commit(): Promise<void> {
    const ops: DbOp[] = [];
    for (const [id, { key, after }] of this.staged) {
      const before = this.before.get(id);
      const oldExpiry = before && deathTime(before);
      if (oldExpiry !== undefined) ops.push({ type: "del", key: expiryIndexKey(oldExpiry, key) });
      if (after === undefined) {
        ops.push({ type: "del", key });
        continue;
      }
      ops.push({ type: "put", key, value: encodeStored(after) });
      const newExpiry = deathTime(after);
      if (newExpiry !== undefined) {
        ops.push({
          type: "put",
          key: expiryIndexKey(newExpiry, key),
          value: expiryIndexValue(this.partition),
        });
      }
    }
    // After the staged rows, as every blind write came after them (a read moves the earlier ones into `staged`).
    for (const { key, write } of this.blind) {
      ops.push(write === undefined ? { type: "del", key } : { type: "put", key, value: encodeWrite(write) });
    }
    if (ops.length > 0) await this.write(ops);
  }

  private readId(id: string, key: Buffer): StoredRow | undefined {
    const staged = this.staged.get(id);
    if (staged !== undefined) return staged.after;
    if (!this.before.has(id)) this.before.set(id, readStored(this.db, key));
    return liveView(this.before.get(id), this.now);
  }

  /**
   * Makes the blind writes so far visible to reads. A row they touch needs no `before`: it had no expiry index
   * entry, and the commit of a staged row deletes one only for what `before` holds.
   */
  private stageBlind(): void {
    for (const { key, write } of this.blind) {
      this.staged.set(key.toString("latin1"), { key, after: write && upsert(undefined, write) });
    }
    this.blind = [];
  }
}

interface Staged {
  key: Buffer;
  after: StoredRow | undefined;
}

/**
 * A point read. Synchronous on purpose: LevelDB answers from its memtable, block cache or the page cache in a
 * few microseconds, while the async get pays a thread-pool round trip of ~150 µs (bench/store.ts measures
 * both); for an embedded, single-process store that hop is most of the cost of a request.
 */
export function readStored(db: Db, key: Buffer): StoredRow | undefined {
  const value = db.getSync(key);
  return value === undefined ? undefined : decodeStored(key, value);
}

/*
 * The value format of a row. It used to be v8.serialize, which costs a few µs per row (a serializer object and
 * a generic walk of the object graph): most of the CPU time of a batch or a page. Cells hold few, known types, so
 * a tagged layout does, at a fraction of the cost:
 *
 *   01 <expiry> { <name length, u16> <name, utf8> <expiry> <value> }...
 *   expiry   00 (never) | 01 <ms since the epoch, f64>
 *   value    01 <length, u32> <utf8> | 02 <f64> | 03 (false) | 04 (true) | 05 <ms, f64> (a Date)
 *            | 06 <length, u32> <bytes> (a Buffer)
 *
 * v8's output always starts with its version tag ff, so rows written in that format still read.
 */
const ROW_FORMAT = 0x01;
const V8_VERSION_TAG = 0xff;
const NEVER = 0x00;
const AT = 0x01;
const STRING = 0x01;
const NUMBER = 0x02;
const FALSE = 0x03;
const TRUE = 0x04;
const DATE = 0x05;
const BYTES = 0x06;

/** Sizes the value first, to write it into one exact buffer. (for...in, as Object.entries cost a third more.) */
export function encodeStored(row: StoredRow): Buffer {
  let size = 1 + expirySize(row.expiresAt);
  for (const name in row.cells) {
    const cell = cellOf(row.cells, name);
    size += cellSize(name, cell.expiresAt, cell.value);
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = ROW_FORMAT;
  let at = writeExpiry(out, 1, row.expiresAt);
  for (const name in row.cells) {
    const cell = cellOf(row.cells, name);
    at = writeCell(out, at, name, cell.expiresAt, cell.value);
  }
  return out;
}

/** encodeStored(upsert(undefined, write)) without building the row: how most writes are stored. */
function encodeWrite(write: ParsedWrite): Buffer {
  let size = 1 + expirySize(write.expiresAt);
  for (const name in write.values) size += cellSize(name, write.expiresAt, write.values[name]);
  const out = Buffer.allocUnsafe(size);
  out[0] = ROW_FORMAT;
  let at = writeExpiry(out, 1, write.expiresAt);
  for (const name in write.values) at = writeCell(out, at, name, write.expiresAt, write.values[name]);
  return out;
}

/** An entry named by a for...in over the record, which is therefore there. */
function cellOf<V>(record: Record<string, V>, name: string): V {
  return record[name] as V;
}

function cellSize(name: string, expiresAt: number | undefined, value: unknown): number {
  return 2 + Buffer.byteLength(name, "utf8") + expirySize(expiresAt) + valueSize(value);
}

function writeCell(
  out: Buffer,
  at: number,
  name: string,
  expiresAt: number | undefined,
  value: unknown,
): number {
  return writeValue(out, writeExpiry(out, writeName(out, at, name), expiresAt), value);
}

export function decodeStored(key: Buffer, value: Buffer): StoredRow {
  if (value[0] === V8_VERSION_TAG) return decodeV8(key, value);
  try {
    return new RowReader(value).row();
  } catch (error: unknown) {
    if (error instanceof RangeError) throw new Error(`corrupt row value at key ${key.toString("hex")}`);
    throw error;
  }
}

function expirySize(expiresAt: number | undefined): number {
  return expiresAt === undefined ? 1 : 9;
}

function valueSize(value: unknown): number {
  if (typeof value === "string") return 5 + Buffer.byteLength(value, "utf8");
  if (typeof value === "number") return 9;
  if (typeof value === "boolean") return 1;
  if (value instanceof Date) return 9;
  if (Buffer.isBuffer(value)) return 5 + value.length;
  throw new TypeError(`a row cannot hold ${typeof value} values`);
}

function writeExpiry(out: Buffer, at: number, expiresAt: number | undefined): number {
  if (expiresAt === undefined) {
    out[at] = NEVER;
    return at + 1;
  }
  out[at] = AT;
  return out.writeDoubleLE(expiresAt, at + 1);
}

function writeName(out: Buffer, at: number, name: string): number {
  const length = out.write(name, at + 2, "utf8");
  out.writeUInt16LE(length, at);
  return at + 2 + length;
}

function writeValue(out: Buffer, at: number, value: unknown): number {
  if (typeof value === "string") {
    const length = out.write(value, at + 5, "utf8");
    out[at] = STRING;
    out.writeUInt32LE(length, at + 1);
    return at + 5 + length;
  }
  if (typeof value === "number") {
    out[at] = NUMBER;
    return out.writeDoubleLE(value, at + 1);
  }
  if (typeof value === "boolean") {
    out[at] = value ? TRUE : FALSE;
    return at + 1;
  }
  if (value instanceof Date) {
    out[at] = DATE;
    return out.writeDoubleLE(value.getTime(), at + 1);
  }
  const bytes = value as Buffer;
  out[at] = BYTES;
  out.writeUInt32LE(bytes.length, at + 1);
  return at + 5 + bytes.copy(out, at + 5);
}

/** Reads the format above; any byte out of place throws RangeError, which decodeStored reports as corruption. */
class RowReader {
  private at = 1;

  constructor(private readonly bytes: Buffer) {}

  row(): StoredRow {
    if (this.bytes[0] !== ROW_FORMAT) throw new RangeError("unknown row format");
    const expiresAt = this.expiry();
    const cells: Record<string, StoredCell> = {};
    while (this.at < this.bytes.length) {
      const name = this.text(this.uint16());
      cells[name] = { expiresAt: this.expiry(), value: this.value() };
    }
    return { cells, expiresAt };
  }

  private expiry(): number | undefined {
    const tag = this.byte();
    if (tag === NEVER) return undefined;
    if (tag === AT) return this.double();
    throw new RangeError(`expiry tag ${tag}`);
  }

  private value(): unknown {
    const tag = this.byte();
    switch (tag) {
      case STRING:
        return this.text(this.uint32());
      case NUMBER:
        return this.double();
      case FALSE:
        return false;
      case TRUE:
        return true;
      case DATE:
        return new Date(this.double());
      case BYTES:
        // A copy, so a row does not keep the whole value buffer alive nor share its memory.
        return Buffer.from(this.take(this.uint32()));
      default:
        throw new RangeError(`value tag ${tag}`);
    }
  }

  private byte(): number {
    const byte = this.bytes[this.at];
    if (byte === undefined) throw new RangeError("truncated row");
    this.at += 1;
    return byte;
  }

  private uint16(): number {
    const value = this.bytes.readUInt16LE(this.at);
    this.at += 2;
    return value;
  }

  private uint32(): number {
    const value = this.bytes.readUInt32LE(this.at);
    this.at += 4;
    return value;
  }

  private double(): number {
    const value = this.bytes.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  private text(length: number): string {
    const start = this.skip(length);
    return this.bytes.toString("utf8", start, this.at);
  }

  private take(length: number): Buffer {
    const start = this.skip(length);
    return this.bytes.subarray(start, this.at);
  }

  /** Moves past `length` bytes, answering where they start. */
  private skip(length: number): number {
    const start = this.at;
    if (start + length > this.bytes.length) throw new RangeError("truncated row");
    this.at = start + length;
    return start;
  }
}

/** Rows written before the format above. */
function decodeV8(key: Buffer, value: Buffer): StoredRow {
  const decoded: unknown = v8.deserialize(value);
  if (!isStoredRow(decoded)) throw new Error(`corrupt row value at key ${key.toString("hex")}`);
  return decoded;
}

function isStoredRow(value: unknown): value is StoredRow {
  if (!isRecord(value) || !isRecord(value.cells) || !isExpiry(value.expiresAt)) return false;
  return Object.values(value.cells).every(
    (cell) => isRecord(cell) && "value" in cell && isExpiry(cell.expiresAt),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isExpiry(value: unknown): value is number | undefined {
  return value === undefined || typeof value === "number";
}

function isLive(expiresAt: number | undefined, now: number): boolean {
  return expiresAt === undefined || expiresAt > now;
}

/** When the whole row is gone: the last of its marker and cells to expire; undefined while any is permanent. */
export function deathTime(row: StoredRow): number | undefined {
  let last = row.expiresAt;
  if (last === undefined) return undefined;
  for (const name in row.cells) {
    const expiresAt = row.cells[name]?.expiresAt;
    if (expiresAt === undefined) return undefined;
    last = Math.max(last, expiresAt);
  }
  return last;
}

export function liveView(row: StoredRow | undefined, now: number): StoredRow | undefined {
  if (row === undefined || !isLive(deathTime(row), now)) return undefined;
  // Most rows have no TTL at all: they are their own live view, and copying them would be pure cost.
  if (!hasExpiredCell(row, now)) return row;
  const cells: Record<string, StoredCell> = {};
  for (const [name, cell] of Object.entries(row.cells)) {
    if (isLive(cell.expiresAt, now)) cells[name] = cell;
  }
  return { cells, expiresAt: row.expiresAt };
}

function hasExpiredCell(row: StoredRow, now: number): boolean {
  for (const name in row.cells) {
    if (!isLive(row.cells[name]?.expiresAt, now)) return true;
  }
  return false;
}

export function upsert(live: StoredRow | undefined, write: ParsedWrite): StoredRow {
  const cells: Record<string, StoredCell> = live === undefined ? {} : { ...live.cells };
  for (const name in write.values) {
    cells[name] = { value: write.values[name], expiresAt: write.expiresAt };
  }
  return { cells, expiresAt: write.expiresAt };
}

export function counterChanges(layout: TableLayout, deltas: Fields): [string, number][] {
  const changes: [string, number][] = [];
  for (const [name, delta] of Object.entries(deltas)) {
    if (delta === undefined) continue;
    if (!layout.valueColumns.has(name)) {
      throw new TypeError(`column ${name}: not a counter of ${layout.table.name}`);
    }
    if (typeof delta !== "number" || !Number.isSafeInteger(delta)) {
      throw new TypeError(`column ${name}: a counter delta must be a safe integer`);
    }
    changes.push([name, delta]);
  }
  return changes;
}

export function addToCounters(live: StoredRow | undefined, deltas: readonly [string, number][]): StoredRow {
  const cells = { ...live?.cells };
  for (const [name, delta] of deltas) {
    const current = cells[name]?.value;
    const sum = (typeof current === "number" ? current : 0) + delta;
    if (!Number.isSafeInteger(sum)) {
      throw new RangeError(`counter ${name} would leave the safe integer range`);
    }
    cells[name] = { value: sum, expiresAt: undefined };
  }
  return { cells, expiresAt: undefined };
}

export function toRow(layout: TableLayout, key: Buffer, live: StoredRow): Fields {
  return withCells(layout, decodeRowKey(layout, key), live);
}

/** Completes a row's key columns with its live cells. */
export function withCells(layout: TableLayout, keyColumns: Fields, live: StoredRow): Fields {
  const row = keyColumns;
  for (const name in live.cells) row[name] = live.cells[name]?.value;
  // A counter never incremented reads as 0, as the port promises.
  if (layout.table.counter === true) {
    for (const name of layout.valueColumns.keys()) row[name] ??= 0;
  }
  return row;
}
