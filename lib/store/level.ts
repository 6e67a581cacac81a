/**
 * The embedded WideRowStore: LevelDB through classic-level, for development, tests and single-node installs.
 * Key layout, bounds and page tokens live in level-keys.ts, the row format and TTL rules in level-rows.ts; this
 * file holds locking, the sweeper and the store's lifecycle.
 */
import { mkdir } from "node:fs/promises";
import { ClassicLevel } from "classic-level";
import { StoreClosedError } from "./errors";
import {
  encodePageToken,
  expiredIndexRange,
  expiryIndexKey,
  expiryIndexRange,
  isEmptyRange,
  layoutOf,
  parseExpiryIndexEntry,
  partitionPrefix,
  partitionRange,
  partitionRowDecoder,
  resumeRange,
  rowKeyIn,
  rowKeyOf,
  sliceRange,
  tableOfIndexKey,
} from "./level-keys";
import type { KeyRange, PagedQuery, TableLayout } from "./level-keys";
import {
  PartitionWrite,
  addToCounters,
  counterChanges,
  deathTime,
  decodeStored,
  liveView,
  parseWrite,
  readStored,
  toRow,
  upsert,
  withCells,
} from "./level-rows";
import type { Db, DbOp, Fields, ParsedWrite, StoredRow } from "./level-rows";
import { GroupCommit } from "./level-group-commit";
import { assertPlainWritable } from "./schema";
import type { AnyTable, CounterDeltas, PartitionKey, PrimaryKey, Row, RowWrite } from "./schema";
import type { BatchOp, Slice, SliceOptions, WideRowStore, WriteOptions } from "./store";

export interface LevelStoreOptions {
  /** Folder of the LevelDB database; created when missing. */
  path: string;
  /** Clock in ms since the epoch; tests pass a controllable one. */
  now?: () => number;
  /** How often expired rows are deleted from disk. Defaults to a minute. */
  sweepIntervalMs?: number;
}

const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
const SWEEP_CHUNK = 500;
const INDEX_SCAN_CHUNK = 1000;
/** How many rows a slice reads on at least, once expired rows have taken places in its page. */
const MIN_READ_AHEAD = 16;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Cassandra's ceiling for a TTL (20 years); keeping it here keeps both adapters accepting the same writes. */
const MAX_TTL_SECONDS = 630_720_000;

export class LevelStore implements WideRowStore {
  private readonly path: string;
  private readonly now: () => number;
  private readonly sweepIntervalMs: number;
  private readonly layouts = new Map<string, TableLayout>();
  private readonly locks = new KeyedLock();
  private readonly inFlight = new Set<Promise<unknown>>();
  private expiring = new ExpiringTables();
  private db: Db | undefined;
  /** Batches of one turn written as one (level-group-commit.ts), per open database. */
  private groupCommit: { db: Db; commit: GroupCommit } | undefined;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(options: LevelStoreOptions) {
    this.path = options.path;
    this.now = options.now ?? Date.now;
    this.sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  }

  async open(tables: readonly AnyTable[]): Promise<void> {
    await this.closing;
    for (const table of tables) this.register(table);
    this.opening ??= this.openDb().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    await this.opening;
  }

  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    if (this.closing === undefined && this.db !== undefined) {
      this.closing = this.closeDb(this.db).finally(() => {
        this.closing = undefined;
      });
    }
    await this.closing;
  }

  isReady(): Promise<boolean> {
    return Promise.resolve(this.db?.status === "open" && this.closing === undefined);
  }

  get<T extends AnyTable>(table: T, key: PrimaryKey<T>): Promise<Row<T> | undefined> {
    return this.readNow((db) => {
      const layout = this.layoutFor(table);
      const { row } = rowKeyOf(layout, fieldsOf(key));
      const live = liveView(readStored(db, row), this.now());
      return live && (toRow(layout, row, live) as Row<T>);
    });
  }

  put<T extends AnyTable>(table: T, row: RowWrite<T>, options?: WriteOptions): Promise<void> {
    return this.run(async (db) => {
      assertPlainWritable(table, "put");
      const layout = this.writableLayout(table);
      const write = this.parseWrite(layout, fieldsOf(row), options?.ttlSeconds);
      await this.inPartition(db, layout, write.partition, (tx) => tx.upsert(write));
    });
  }

  delete<T extends AnyTable>(table: T, key: PrimaryKey<T>): Promise<void> {
    return this.run(async (db) => {
      assertPlainWritable(table, "delete");
      const layout = this.layoutFor(table);
      const { partition, row } = rowKeyOf(layout, fieldsOf(key));
      await this.inPartition(db, layout, partition, (tx) => tx.delete(row));
    });
  }

  deletePartition<T extends AnyTable>(table: T, partition: PartitionKey<T>): Promise<void> {
    return this.run(async (db) => {
      assertPlainWritable(table, "deletePartition");
      const prefix = partitionPrefix(this.layoutFor(table), fieldsOf(partition));
      await this.locks.run(prefix.toString("latin1"), async () => {
        const ops: DbOp[] = [];
        for await (const [key, value] of db.iterator(partitionRange(prefix))) {
          ops.push({ type: "del", key });
          const expiresAt = deathTime(decodeStored(key, value));
          if (expiresAt !== undefined) ops.push({ type: "del", key: expiryIndexKey(expiresAt, key) });
        }
        await db.batch(ops);
      });
    });
  }

  insertIfAbsent<T extends AnyTable>(
    table: T,
    row: RowWrite<T>,
    options?: WriteOptions,
  ): Promise<{ applied: true } | { applied: false; existing: Row<T> }> {
    return this.run(async (db) => {
      const layout = this.writableLayout(table);
      const write = this.parseWrite(layout, fieldsOf(row), options?.ttlSeconds);
      return this.inPartition(db, layout, write.partition, (tx) => {
        const live = tx.read(write.row);
        if (live !== undefined) return { applied: false, existing: toRow(layout, write.row, live) as Row<T> };
        tx.set(write.row, upsert(undefined, write));
        return { applied: true };
      });
    });
  }

  deleteIf<T extends AnyTable>(
    table: T,
    key: PrimaryKey<T>,
    expected: Partial<Row<T>> = {},
  ): Promise<boolean> {
    return this.run(async (db) => {
      const layout = this.layoutFor(table);
      const { partition, row } = rowKeyOf(layout, fieldsOf(key));
      return this.inPartition(db, layout, partition, (tx) => {
        const live = tx.read(row);
        if (live === undefined) return false;
        const current = toRow(layout, row, live) as Record<string, unknown>;
        const matches = Object.entries(expected as Record<string, unknown>).every(([column, value]) =>
          sameValue(current[column], value),
        );
        if (matches) tx.delete(row);
        return matches;
      });
    });
  }

  updateIf<T extends AnyTable>(
    table: T,
    row: RowWrite<T>,
    expected: Partial<Row<T>> = {},
    options?: WriteOptions,
  ): Promise<boolean> {
    return this.run(async (db) => {
      const layout = this.writableLayout(table);
      const keyColumns = new Set([...table.partitionKey, ...table.clustering.map((c) => c.column)]);
      if (!Object.keys(row).some((column) => !keyColumns.has(column))) {
        throw new TypeError(`updateIf on ${table.name}: name at least one value column`);
      }
      const write = this.parseWrite(layout, fieldsOf(row), options?.ttlSeconds);
      return this.inPartition(db, layout, write.partition, (tx) => {
        const live = tx.read(write.row);
        if (live === undefined) return false;
        const current = toRow(layout, write.row, live) as Record<string, unknown>;
        const matches = Object.entries(expected as Record<string, unknown>).every(([column, value]) =>
          sameValue(current[column], value),
        );
        if (matches) tx.upsert(write);
        return matches;
      });
    });
  }

  slice<T extends AnyTable>(
    table: T,
    partition: PartitionKey<T>,
    options: SliceOptions<T> = {},
  ): Promise<Slice<T>> {
    return this.run(async (db) => {
      const layout = this.layoutFor(table);
      const limit = checkLimit(options.limit);
      const prefix = partitionPrefix(layout, fieldsOf(partition));
      const query: PagedQuery = {
        tableName: layout.table.name,
        partition: prefix,
        range: sliceRange(layout, prefix, options),
        reverse: options.reverse === true,
      };
      const range = options.pageToken === undefined ? query.range : resumeRange(query, options.pageToken);
      if (isEmptyRange(range)) return { rows: [], nextPageToken: undefined };
      const page = await readLiveRows(db, range, query.reverse, limit, this.now());
      const keyColumnsOf = partitionRowDecoder(layout, prefix);
      const rows = page.rows.map(([key, live]) => withCells(layout, keyColumnsOf(key), live) as Row<T>);
      const lastKey = page.rows.at(-1)?.[0];
      return { rows, nextPageToken: page.more && lastKey ? encodePageToken(query, lastKey) : undefined };
    });
  }

  scan<T extends AnyTable>(
    table: T,
    options: { limit?: number; pageToken?: string } = {},
  ): Promise<Slice<T>> {
    return this.run(async (db) => {
      const layout = this.layoutFor(table);
      const limit = checkLimit(options.limit);
      // The whole table is one key range, paged like one partition's.
      const query: PagedQuery = {
        tableName: layout.table.name,
        partition: layout.prefix,
        range: partitionRange(layout.prefix),
        reverse: false,
      };
      const range = options.pageToken === undefined ? query.range : resumeRange(query, options.pageToken);
      if (isEmptyRange(range)) return { rows: [], nextPageToken: undefined };
      const page = await readLiveRows(db, range, false, limit, this.now());
      const rows = page.rows.map(([key, live]) => toRow(layout, key, live) as Row<T>);
      const lastKey = page.rows.at(-1)?.[0];
      return { rows, nextPageToken: page.more && lastKey ? encodePageToken(query, lastKey) : undefined };
    });
  }

  batch<T extends AnyTable>(table: T, partition: PartitionKey<T>, ops: readonly BatchOp<T>[]): Promise<void> {
    return this.run(async (db) => {
      assertPlainWritable(table, "batch");
      const layout = this.layoutFor(table);
      const values = fieldsOf(partition);
      const prefix = partitionPrefix(layout, values);
      // Everything is checked before anything is staged, so an invalid op leaves the partition untouched.
      const parsed = ops.map((op) => this.parseBatchOp(layout, { prefix, values }, op));
      await this.inPartition(db, layout, prefix, (tx) => {
        for (const { row, write } of parsed) {
          if (write === undefined) tx.delete(row);
          else tx.upsert(write);
        }
      });
    });
  }

  increment<T extends AnyTable>(table: T, key: PrimaryKey<T>, deltas: CounterDeltas<T>): Promise<void> {
    return this.run(async (db) => {
      const layout = this.layoutFor(table);
      if (layout.table.counter !== true) {
        throw new Error(`increment: ${layout.table.name} is not a counter table`);
      }
      const { partition, row } = rowKeyOf(layout, fieldsOf(key));
      const changes = counterChanges(layout, fieldsOf(deltas));
      if (changes.length === 0) return;
      await this.inPartition(db, layout, partition, (tx) => {
        tx.set(row, addToCounters(tx.read(row), changes));
      });
    });
  }

  private register(table: AnyTable): void {
    const known = this.layouts.get(table.name);
    if (known !== undefined) {
      if (!sameDefinition(known.table, table)) {
        throw new Error(`table ${table.name} is declared twice, differently`);
      }
      return;
    }
    if (table.ttlSeconds !== undefined) checkTtl(table.ttlSeconds);
    if (table.counter === true && (table.ttlSeconds ?? 0) > 0) {
      throw new Error(`table ${table.name}: counter tables cannot have a TTL`);
    }
    this.layouts.set(table.name, layoutOf(table));
  }

  private layoutFor(table: AnyTable): TableLayout {
    const layout = this.layouts.get(table.name);
    if (layout === undefined || (layout.table !== table && !sameDefinition(layout.table, table))) {
      throw new Error(`table ${table.name} was not given to open()`);
    }
    return layout;
  }

  /** Counters change only through increment, as in Cassandra. */
  private writableLayout(table: AnyTable): TableLayout {
    const layout = this.layoutFor(table);
    if (layout.table.counter === true) {
      throw new Error(`${layout.table.name} is a counter table: use increment`);
    }
    return layout;
  }

  private parseWrite(
    layout: TableLayout,
    fields: Fields,
    ttlSeconds: number | undefined,
    key?: { partition: Buffer; row: Buffer },
  ): ParsedWrite {
    const ttl = checkTtl(ttlSeconds ?? layout.table.ttlSeconds ?? 0);
    if (ttl === 0) return parseWrite(layout, fields, undefined, key);
    this.expiring.add(layout.table.name);
    return parseWrite(layout, fields, this.now() + ttl * 1000, key);
  }

  /** A put yields its write, a delete none; both must stay in the batch's partition. */
  private parseBatchOp<T extends AnyTable>(
    layout: TableLayout,
    partition: BatchPartition,
    op: BatchOp<T>,
  ): { row: Buffer; write: ParsedWrite | undefined } {
    if (op.op === "put") {
      const writable = this.writableLayout(layout.table);
      const fields = fieldsOf(op.row);
      const row = rowInBatch(layout, partition, fields);
      const write = this.parseWrite(writable, fields, op.ttlSeconds, { partition: partition.prefix, row });
      return { row, write };
    }
    return { row: rowInBatch(layout, partition, fieldsOf(op.key)), write: undefined };
  }

  private inPartition<R>(
    db: Db,
    layout: TableLayout,
    partition: Buffer,
    work: (tx: PartitionWrite) => R,
  ): Promise<R> {
    return this.locks.run(partition.toString("latin1"), async () => {
      const mayHoldExpiring = this.expiring.mayHold(layout.table.name);
      const tx = new PartitionWrite(db, partition, this.now(), mayHoldExpiring, (ops) =>
        this.commits(db).write(ops),
      );
      // The work only reads (synchronously) and stages; everything it stages is committed in one batch.
      const result = work(tx);
      await tx.commit();
      return result;
    });
  }

  private commits(db: Db): GroupCommit {
    if (this.groupCommit?.db !== db) this.groupCommit = { db, commit: new GroupCommit(db) };
    return this.groupCommit.commit;
  }

  /** Runs a synchronous read; nothing to wait for at close(), as it finishes before close() can start. */
  private readNow<R>(operation: (db: Db) => R): Promise<R> {
    const db = this.db;
    if (db === undefined || db.status !== "open" || this.closing !== undefined) {
      return Promise.reject(new StoreClosedError());
    }
    try {
      return Promise.resolve(operation(db));
    } catch (error: unknown) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Runs an operation on the open database, so close() can wait for it. */
  private async run<R>(operation: (db: Db) => Promise<R>): Promise<R> {
    const db = this.db;
    if (db === undefined) throw new StoreClosedError();
    const running = operation(db);
    this.inFlight.add(running);
    try {
      return await running;
    } finally {
      this.inFlight.delete(running);
    }
  }

  private async openDb(): Promise<void> {
    await mkdir(this.path, { recursive: true });
    const db: Db = new ClassicLevel<Buffer, Buffer>(this.path, {
      keyEncoding: "buffer",
      valueEncoding: "buffer",
    });
    await db.open();
    // Another process may have written to the folder since the last open.
    this.expiring = new ExpiringTables();
    this.db = db;
    this.startIndexScan(db);
    this.sweepTimer = setInterval(() => this.startSweep(), this.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  private async closeDb(db: Db): Promise<void> {
    // Forgetting the database first makes new operations reject while the running ones finish.
    this.db = undefined;
    this.opening = undefined;
    clearInterval(this.sweepTimer);
    await Promise.allSettled([...this.inFlight]);
    await db.close();
  }

  private startIndexScan(db: Db): void {
    this.run(() => this.expiring.learn(db, () => this.db === db)).catch((error: unknown) =>
      process.emitWarning(`LevelStore: reading the expiry index failed: ${String(error)}`),
    );
  }

  private startSweep(): void {
    if (this.sweeping !== undefined || this.db === undefined) return;
    this.sweeping = this.run((db) => this.sweepExpired(db))
      .catch((error: unknown) =>
        process.emitWarning(`LevelStore: sweeping expired rows failed: ${String(error)}`),
      )
      .finally(() => {
        this.sweeping = undefined;
      });
  }

  private async sweepExpired(db: Db): Promise<void> {
    const now = this.now();
    // Each entry handled is deleted, so every round starts from the oldest entries that are left.
    while (this.db === db) {
      const entries = await db.iterator({ ...expiredIndexRange(now), limit: SWEEP_CHUNK }).all();
      for (const [indexKey, value] of entries) await this.sweepEntry(db, indexKey, value, now);
      if (entries.length < SWEEP_CHUNK) return;
    }
  }

  private async sweepEntry(db: Db, indexKey: Buffer, value: Buffer, now: number): Promise<void> {
    const { rowKey, partition } = parseExpiryIndexEntry(indexKey, value);
    await this.locks.run(partition.toString("latin1"), async () => {
      const ops: DbOp[] = [{ type: "del", key: indexKey }];
      // Re-read under the lock: a write since the index entry may have extended the row or made it permanent.
      const stored = readStored(db, rowKey);
      const expiresAt = stored && deathTime(stored);
      if (expiresAt !== undefined && expiresAt <= now) {
        ops.push({ type: "del", key: rowKey }, { type: "del", key: expiryIndexKey(expiresAt, rowKey) });
      }
      await db.batch(ops);
    });
  }
}

/**
 * The tables that may hold rows with an expiry index entry. A write that replaces every value column of a row
 * needs the row it replaces only to delete that entry, so in the other tables (in practice those never written
 * with a TTL) it skips the read; see PartitionWrite. Until the index has been read once after open, every table
 * may. The read is one pass over the index keys, in the background; a TTL write marks its table before it takes
 * its partition's lock, so every later write to the same rows sees the mark.
 */
class ExpiringTables {
  private readonly names = new Set<string>();
  private known = false;

  mayHold(table: string): boolean {
    return !this.known || this.names.has(table);
  }

  add(table: string): void {
    this.names.add(table);
  }

  /** Notes the table of every index entry, in chunks, giving up once the database is closed. */
  async learn(db: Db, stillOpen: () => boolean): Promise<void> {
    const iterator = db.keys(expiryIndexRange());
    try {
      for (;;) {
        const keys = await iterator.nextv(INDEX_SCAN_CHUNK);
        if (!stillOpen()) return;
        if (keys.length === 0) break;
        for (const key of keys) this.names.add(tableOfIndexKey(key));
      }
    } finally {
      await iterator.close();
    }
    this.known = true;
  }
}

/**
 * The first `limit` live rows of a range, and whether a live row follows them: only then does the page get a
 * token, so a token never leads to an empty page. One nextv call usually reads the page and the row past it;
 * more follow only when expired rows took places in it.
 */
async function readLiveRows(
  db: Db,
  range: KeyRange,
  reverse: boolean,
  limit: number,
  now: number,
): Promise<{ rows: [Buffer, StoredRow][]; more: boolean }> {
  const rows: [Buffer, StoredRow][] = [];
  const iterator = db.iterator({ ...range, reverse });
  let wanted = limit + 1;
  try {
    for (;;) {
      const entries = await iterator.nextv(wanted);
      if (entries.length === 0) return { rows, more: false };
      for (const [key, value] of entries) {
        const live = liveView(decodeStored(key, value), now);
        if (live === undefined) continue;
        if (rows.length === limit) return { rows, more: true };
        rows.push([key, live]);
      }
      wanted = Math.max(limit + 1 - rows.length, MIN_READ_AHEAD);
    }
  } finally {
    await iterator.close();
  }
}

/** Serialises async work per key: each task starts when the previous one for its key has settled. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<R>(key: string, task: () => Promise<R>): Promise<R> {
    const previous = this.tails.get(key);
    // With nothing queued the task starts at once, sparing most writes (partitions are rarely busy) a hop.
    const running = previous === undefined ? task() : previous.then(task);
    const tail = running.then(settled, settled);
    this.tails.set(key, tail);
    try {
      return await running;
    } finally {
      // Dropping the entry once nobody queued behind keeps the map as small as the set of busy partitions.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

function settled(): void {
  // A tail only tells when a task is over; how it ended is its caller's business.
}

/** A batch's partition: its encoded prefix, and the values it was encoded from. */
interface BatchPartition {
  readonly prefix: Buffer;
  readonly values: Fields;
}

function rowInBatch(layout: TableLayout, partition: BatchPartition, key: Fields): Buffer {
  const row = rowKeyIn(layout, partition, key);
  if (row === undefined) {
    throw new Error(`batch on ${layout.table.name}: an op's key is in another partition than the batch's`);
  }
  return row;
}

/** The port's generic row types are plain records at run time. */
function fieldsOf(value: object): Fields {
  return value as Fields;
}

function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RangeError(`slice limit must be an integer from 1 to ${MAX_LIMIT}, got ${limit}`);
  }
  return limit;
}

function checkTtl(ttlSeconds: number): number {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > MAX_TTL_SECONDS) {
    throw new RangeError(`ttlSeconds must be an integer from 0 to ${MAX_TTL_SECONDS}, got ${ttlSeconds}`);
  }
  return ttlSeconds;
}

function sameDefinition(a: AnyTable, b: AnyTable): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Column values as a condition compares them: timestamps by instant, blobs by bytes. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}
