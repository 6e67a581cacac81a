/**
 * Order-preserving binary encoding of key columns: for any two values of a column type, Buffer.compare of their
 * encodings orders them as the values do. That lets an ordered byte store (LevelDB) sort rows the way Cassandra
 * sorts clustering columns, and turn value bounds into key ranges.
 *
 * Every encoding is prefix-free (fixed width, or escaped and terminated), which is what makes two things hold:
 * a concatenation of encodings sorts like the tuple of its values, and inverting every byte (for `desc`) exactly
 * reverses the order, because two different encodings always differ at a byte before either one ends.
 *
 * Text sorts by its UTF-8 bytes, that is by code point, as Cassandra's `text` does. This is not JavaScript's
 * `<`, which compares UTF-16 units and so puts an emoji before "\uffff".
 */
import type { ClusteringOrder, ColumnType } from "./schema";

export type KeyColumnType = Exclude<ColumnType, "counter">;

export interface KeyColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly order: ClusteringOrder;
}

export interface Decoded<V> {
  value: V;
  /** Where the next encoded column starts. */
  offset: number;
}

const MAX_ID = (1n << 63n) - 1n;
/** 2^63 - 1: among decimals of its length, string order is numeric order, so ids are checked without BigInt. */
const MAX_ID_DECIMAL = MAX_ID.toString();
const SIGN_BIT = 1n << 63n;
const TWO_32 = 2 ** 32;
const ID_CHUNK_DIGITS = 4;
/** 10^n for a chunk of n digits. */
const CHUNK_SCALES = [1, 10, 100, 1000, 10_000];
/** With the `u` flag a paired surrogate is one code point, so this only matches lone ones. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

const TERMINATOR = 0x00;
const ESCAPE = 0x01;

/**
 * Checks a value against its column type, with the column in the message. Shared by key and value columns so a
 * write fails the same way whichever column is wrong.
 */
export function assertColumnValue(column: string, type: ColumnType, value: unknown): void {
  const problem = describeProblem(type, value);
  if (problem !== undefined) throw new TypeError(`column ${column}: ${problem}`);
}

function describeProblem(type: ColumnType, value: unknown): string | undefined {
  switch (type) {
    case "id":
      if (typeof value !== "string" || !isCanonicalDecimal(value)) {
        return `expected an id as a decimal string without leading zeros, got ${show(value)}`;
      }
      return value.length === MAX_ID_DECIMAL.length && value > MAX_ID_DECIMAL
        ? `id ${value} is not below 2^63`
        : undefined;
    case "text":
      if (typeof value !== "string") return `expected a string, got ${show(value)}`;
      // A lone surrogate cannot be written as UTF-8, so it would not read back as written.
      return LONE_SURROGATE.test(value) ? "text holds a lone surrogate (not valid Unicode)" : undefined;
    case "int":
    case "counter":
      return Number.isSafeInteger(value) ? undefined : `expected a safe integer, got ${show(value)}`;
    case "boolean":
      return typeof value === "boolean" ? undefined : `expected a boolean, got ${show(value)}`;
    case "timestamp":
      return value instanceof Date && Number.isFinite(value.getTime())
        ? undefined
        : `expected a valid Date, got ${show(value)}`;
    case "blob":
      return Buffer.isBuffer(value) ? undefined : `expected a Buffer, got ${show(value)}`;
  }
}

/**
 * Digits only, at most 19, no leading zero: /^(0|[1-9][0-9]{0,18})$/ spelled out, as ids are checked on every
 * key and value that holds one and the loop takes half the time of the regular expression.
 */
function isCanonicalDecimal(value: string): boolean {
  if (value.length === 0 || value.length > MAX_ID_DECIMAL.length) return false;
  if (value.length > 1 && value.charCodeAt(0) === 0x30) return false;
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

function show(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case "number":
    case "bigint":
    case "boolean":
      return `${typeof value} ${String(value)}`;
    case "object":
      if (value === null) return "null";
      return value instanceof Date ? "an invalid Date" : "an object";
    default:
      return typeof value;
  }
}

/**
 * Whether two values, each valid for the same column type, encode the same: every value has exactly one encoding
 * (ids are canonical decimals, and 0 and -0 are both 0), so this is value equality, with Dates and Buffers by
 * content.
 */
export function sameKeyValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

/** Encodes one value; throws TypeError when it does not fit the type. */
export function encodeKeyValue(type: ColumnType, value: unknown, order: ClusteringOrder = "asc"): Buffer {
  const problem = describeProblem(type, value);
  if (problem !== undefined) throw new TypeError(`cannot encode a ${type} key: ${problem}`);
  scratch.start();
  scratch.value(type, value, order);
  return scratch.take();
}

/**
 * Encodes the given columns in order, as one key (or key prefix), after `head` when given. A key is written into
 * one buffer and copied out once: a buffer per column and a concat cost more than the encoding itself.
 */
export function encodeKey(
  columns: readonly KeyColumn[],
  values: Readonly<Record<string, unknown>>,
  head?: Buffer,
): Buffer {
  scratch.start(head);
  for (const column of columns) {
    const value = values[column.name];
    assertColumnValue(column.name, column.type, value);
    scratch.value(column.type, value, column.order);
  }
  return scratch.take();
}

/** Builds one key at a time in a reused buffer; take() copies it out, so no key shares memory with another. */
class KeyWriter {
  private bytes = Buffer.allocUnsafe(256);
  private length = 0;

  start(head?: Buffer): void {
    this.length = 0;
    if (head !== undefined) this.append(head);
  }

  take(): Buffer {
    const key = Buffer.allocUnsafe(this.length);
    this.bytes.copy(key, 0, 0, this.length);
    return key;
  }

  /** Writes a value already checked against its type. */
  value(type: ColumnType, value: unknown, order: ClusteringOrder): void {
    const start = this.length;
    switch (type) {
      case "id":
        this.id(value as string);
        break;
      case "int":
        this.uint64(flipSign(BigInt(value as number)));
        break;
      case "timestamp":
        this.uint64(flipSign(BigInt((value as Date).getTime())));
        break;
      case "boolean":
        this.reserve(1);
        this.bytes[this.length++] = value === true ? 1 : 0;
        break;
      case "text":
        this.escaped(Buffer.from(value as string, "utf8"));
        break;
      case "blob":
        this.escaped(value as Buffer);
        break;
      case "counter":
        throw new TypeError("a counter cannot be a key column");
    }
    if (order === "desc") invert(this.bytes, start, this.length);
  }

  private append(bytes: Buffer): void {
    this.reserve(bytes.length);
    this.length += bytes.copy(this.bytes, this.length);
  }

  /**
   * An id (a canonical decimal below 2^63) as 8 big-endian bytes, computed in two 32-bit halves: parsing and
   * writing it as a BigInt allocated several BigInts per key, a good part of a batch's garbage. Digits go in
   * four at a time, so `low` stays below 10^4 * 2^32 and every step is exact in a double.
   */
  private id(decimal: string): void {
    let high = 0;
    let low = 0;
    for (let start = 0; start < decimal.length; start += ID_CHUNK_DIGITS) {
      const end = Math.min(start + ID_CHUNK_DIGITS, decimal.length);
      let chunk = 0;
      for (let i = start; i < end; i += 1) chunk = chunk * 10 + decimal.charCodeAt(i) - 0x30;
      const scale = CHUNK_SCALES[end - start] ?? 0;
      low = low * scale + chunk;
      const carry = Math.floor(low / TWO_32);
      low -= carry * TWO_32;
      high = high * scale + carry;
    }
    this.reserve(8);
    this.bytes.writeUInt32BE(high, this.length);
    this.bytes.writeUInt32BE(low, this.length + 4);
    this.length += 8;
  }

  private uint64(value: bigint): void {
    this.reserve(8);
    this.length = this.bytes.writeBigUInt64BE(value, this.length);
  }

  /**
   * 0x00 → 01 01 and 0x01 → 01 02 keep the order of content bytes (01 01 < 01 02 < 02..ff) while freeing 0x00
   * for the terminator, which thus sorts below any content: a string sorts before the strings it prefixes.
   */
  private escaped(raw: Buffer): void {
    this.reserve(2 * raw.length + 1);
    const bytes = this.bytes;
    let at = this.length;
    for (const byte of raw) {
      if (byte <= ESCAPE) {
        bytes[at++] = ESCAPE;
        bytes[at++] = byte + 1;
      } else {
        bytes[at++] = byte;
      }
    }
    bytes[at++] = TERMINATOR;
    this.length = at;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.length + extra));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}

/** Keys are built one at a time and synchronously, so one buffer serves them all. */
const scratch = new KeyWriter();

/** Decodes one value starting at `offset`; throws RangeError on bytes that no value encodes to. */
export function decodeKeyValue(
  type: ColumnType,
  buffer: Buffer,
  offset: number,
  order: ClusteringOrder = "asc",
): Decoded<unknown> {
  const flip = order === "desc" ? 0xff : 0;
  switch (type) {
    case "id": {
      const raw = readUint64(buffer, offset, flip);
      if (raw > MAX_ID) throw new RangeError(`corrupt key: id ${raw} is not below 2^63`);
      return { value: raw.toString(), offset: offset + 8 };
    }
    case "int":
      return { value: readFlippedInt64(buffer, offset, flip, "int"), offset: offset + 8 };
    case "timestamp":
      return { value: new Date(readFlippedInt64(buffer, offset, flip, "timestamp")), offset: offset + 8 };
    case "boolean":
      return { value: readBoolean(buffer, offset, flip), offset: offset + 1 };
    case "text": {
      const { value, offset: next } = unescapeTerminated(buffer, offset, flip);
      return { value: value.toString("utf8"), offset: next };
    }
    case "blob":
      return unescapeTerminated(buffer, offset, flip);
    case "counter":
      throw new TypeError("a counter cannot be a key column");
  }
}

/** Decodes the given columns in order, starting at `offset`, into `value` (a new record unless given). */
export function decodeKey(
  columns: readonly KeyColumn[],
  buffer: Buffer,
  offset = 0,
  value: Record<string, unknown> = {},
): Decoded<Record<string, unknown>> {
  let at = offset;
  for (const column of columns) {
    const decoded = decodeKeyValue(column.type, buffer, at, column.order);
    value[column.name] = decoded.value;
    at = decoded.offset;
  }
  return { value, offset: at };
}

/** The smallest byte string greater than every string that starts with `prefix`, for exclusive range ends. */
export function prefixEnd(prefix: Buffer): Buffer {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end -= 1;
  if (end === 0) throw new RangeError("a prefix of 0xff bytes only has no end");
  const next = Buffer.from(prefix.subarray(0, end));
  next[end - 1] = (next[end - 1] ?? 0) + 1;
  return next;
}

function invert(bytes: Buffer, start: number, end: number): void {
  for (let i = start; i < end; i += 1) bytes[i] = 0xff - (bytes[i] ?? 0);
}

/** Two's complement with the sign bit flipped sorts negative numbers below positive ones as unsigned bytes. */
function flipSign(value: bigint): bigint {
  return BigInt.asUintN(64, value) ^ SIGN_BIT;
}

function readUint64(buffer: Buffer, offset: number, flip: number): bigint {
  if (offset + 8 > buffer.length) throw new RangeError("corrupt key: truncated 8-byte column");
  const raw = buffer.readBigUInt64BE(offset);
  return flip === 0 ? raw : BigInt.asUintN(64, ~raw);
}

function readFlippedInt64(buffer: Buffer, offset: number, flip: number, type: string): number {
  const value = Number(BigInt.asIntN(64, readUint64(buffer, offset, flip) ^ SIGN_BIT));
  if (!Number.isSafeInteger(value)) throw new RangeError(`corrupt key: ${type} out of the safe range`);
  return value;
}

function readBoolean(buffer: Buffer, offset: number, flip: number): boolean {
  const raw = buffer[offset];
  if (raw === undefined) throw new RangeError("corrupt key: truncated boolean");
  const byte = raw ^ flip;
  if (byte > 1) throw new RangeError(`corrupt key: boolean byte ${byte}`);
  return byte === 1;
}

function unescapeTerminated(buffer: Buffer, offset: number, flip: number): Decoded<Buffer> {
  const out: number[] = [];
  let at = offset;
  for (;;) {
    const byte = byteAt(buffer, at, flip);
    at += 1;
    if (byte === TERMINATOR) return { value: Buffer.from(out), offset: at };
    if (byte !== ESCAPE) {
      out.push(byte);
      continue;
    }
    const escaped = byteAt(buffer, at, flip);
    at += 1;
    if (escaped !== 1 && escaped !== 2) {
      throw new RangeError(`corrupt key: escape 01 ${escaped.toString(16)}`);
    }
    out.push(escaped - 1);
  }
}

function byteAt(buffer: Buffer, at: number, flip: number): number {
  const raw = buffer[at];
  if (raw === undefined) throw new RangeError("corrupt key: unterminated text or blob");
  return raw ^ flip;
}
