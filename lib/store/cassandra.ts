/**
 * The production WideRowStore: Apache Cassandra through cassandra-driver. Every port operation is one statement
 * (or one single-partition batch) against one partition; tables and their migrations come from the same
 * declarations as the embedded adapter.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { auth, Client, errors as driverErrors, policies, types } from "cassandra-driver";
import { PortError } from "../errors/port-error";
import { InvalidPageTokenError, StoreClosedError, StoreUnavailableError } from "./errors";
import {
  bindColumns,
  boundRelation,
  rowFromCql,
  shapeOf,
  whereKey,
  writtenColumns,
  type Fields,
  type TableShape,
} from "./cql";
import { CassandraMigrations } from "./cassandra-migrations";
import { assertPlainWritable } from "./schema";
import type { AnyTable, CounterDeltas, PartitionKey, PrimaryKey, Row, RowWrite } from "./schema";
import type { BatchOp, Slice, SliceOptions, WideRowStore, WriteOptions } from "./store";

export interface CassandraStoreOptions {
  contactPoints: readonly string[];
  localDataCenter: string;
  keyspace: string;
  /** `{ class: "SimpleStrategy", replication_factor: 1 }` or `{ class: "NetworkTopologyStrategy", dc1: 3 }`. */
  replication: Readonly<Record<string, string | number>>;
  /** Consistency of reads and writes; LOCAL_QUORUM unless configured. */
  consistency: keyof typeof types.consistencies;
  /** Per-request timeout; a store that does not answer in time is "unavailable", not a hang. */
  requestTimeoutMs: number;
  /** Name of this node in the migration lock, for the logs of whoever waits on it. */
  nodeId: string;
  /** The role to log in as (PasswordAuthenticator); absent for a cluster without authentication. */
  credentials?: { username: string; password: string } | undefined;
  /** TLS, the server's certificate always verified: against `ca` (PEM) or the system's CAs, for `serverName`. */
  tls?: { ca?: string | undefined; serverName?: string | undefined } | undefined;
}

/**
 * Cassandra refused the login, or asked for one and none is configured: the configuration is wrong, so retrying
 * will not help. Raised by open(), where a node starting up reports it as one line.
 */
export class CassandraLoginError extends PortError {
  override readonly name = "CassandraLoginError";
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // bin/mosaic.ts prints a start-up failure's stack: here it would only list the driver's internals and ours,
    // nothing an operator acts on. The driver's error stays in `cause`.
    this.stack = `${this.name}: ${message}`;
  }
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const MAX_TTL_SECONDS = 630_720_000;
const TOKEN_VERSION = 1;
const MAC_BYTES = 16;

/** Response codes that mean "the cluster could not do it now", as opposed to a bad statement. */
const UNAVAILABLE_CODES = new Set<number>([
  types.responseErrorCodes.unavailableException,
  types.responseErrorCodes.overloaded,
  types.responseErrorCodes.isBootstrapping,
  types.responseErrorCodes.writeTimeout,
  types.responseErrorCodes.readTimeout,
  types.responseErrorCodes.readFailure,
  types.responseErrorCodes.writeFailure,
  types.responseErrorCodes.truncateError,
]);

export class CassandraStore implements WideRowStore {
  private readonly client: Client;
  private readonly shapes = new Map<string, TableShape>();
  private readonly consistency: number;
  private tokenKey: Buffer | undefined;
  private state: "new" | "open" | "closed" = "new";
  private opening: Promise<void> | undefined;

  private readonly options: Omit<CassandraStoreOptions, "credentials">;
  private readonly username: string | undefined;

  constructor(options: CassandraStoreOptions) {
    // The password goes to the driver and nowhere else on this object, so inspecting the store never shows it.
    const { credentials, ...rest } = options;
    this.options = rest;
    this.username = credentials?.username;
    this.consistency = types.consistencies[options.consistency];
    const tls = options.tls;
    this.client = new Client({
      contactPoints: [...options.contactPoints],
      localDataCenter: options.localDataCenter,
      ...(credentials && {
        authProvider: new auth.PlainTextAuthProvider(credentials.username, credentials.password),
      }),
      // The driver's default is rejectUnauthorized: false; never here (config/index.ts says why).
      ...(tls && {
        sslOptions: {
          rejectUnauthorized: true,
          ...(tls.ca !== undefined && { ca: tls.ca }),
          ...(tls.serverName !== undefined && { servername: tls.serverName }),
        },
      }),
      encoding: { useBigIntAsLong: true, useUndefinedAsUnset: true },
      policies: {
        loadBalancing: new policies.loadBalancing.TokenAwarePolicy(
          new policies.loadBalancing.DCAwareRoundRobinPolicy(options.localDataCenter),
        ),
        // Back off while a node is down; requests fail fast meanwhile and succeed again once it is back.
        reconnection: new policies.reconnection.ExponentialReconnectionPolicy(200, 5_000, false),
      },
      socketOptions: { connectTimeout: 5_000, readTimeout: options.requestTimeoutMs },
      queryOptions: {
        consistency: this.consistency,
        serialConsistency: types.consistencies.localSerial,
        prepare: true,
      },
      pooling: { heartBeatInterval: 5_000 },
    });
  }

  async open(tables: readonly AnyTable[]): Promise<void> {
    if (this.state === "closed") throw new StoreClosedError();
    this.opening ??= this.connect();
    await this.opening;
    const migrations = new CassandraMigrations(this.client, this.options.keyspace, this.options.nodeId);
    await this.call(() => migrations.apply(tables));
    for (const table of tables) this.shapes.set(table.name, shapeOf(table));
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    await this.opening?.catch(() => undefined);
    await this.client.shutdown();
  }

  async isReady(): Promise<boolean> {
    if (this.state !== "open") return false;
    try {
      await this.client.execute("SELECT release_version FROM system.local", [], { readTimeout: 2_000 });
      return true;
    } catch {
      return false;
    }
  }

  async get<T extends AnyTable>(table: T, key: PrimaryKey<T>): Promise<Row<T> | undefined> {
    const shape = this.shapeFor(table);
    const fields = key as Fields;
    const result = await this.call(() =>
      this.client.execute(
        `SELECT * FROM ${this.qualified(table)} WHERE ${whereKey(shape.keyColumns)}`,
        bindColumns(table, shape.keyColumns, fields),
      ),
    );
    const first = result.first();
    return first ? (rowFromCql(shape, (c) => first.get(c)) as Row<T>) : undefined;
  }

  async put<T extends AnyTable>(table: T, row: RowWrite<T>, options?: WriteOptions): Promise<void> {
    assertPlainWritable(table, "put");
    const statement = this.insert(table, row, options?.ttlSeconds, "");
    await this.call(() => this.client.execute(statement.query, statement.params));
  }

  async delete<T extends AnyTable>(table: T, key: PrimaryKey<T>): Promise<void> {
    assertPlainWritable(table, "delete");
    const statement = this.deleteRow(table, key);
    await this.call(() => this.client.execute(statement.query, statement.params));
  }

  async deletePartition<T extends AnyTable>(table: T, partition: PartitionKey<T>): Promise<void> {
    assertPlainWritable(table, "deletePartition");
    const shape = this.shapeFor(table);
    const params = bindColumns(table, shape.partition, partition);
    await this.call(() =>
      this.client.execute(`DELETE FROM ${this.qualified(table)} WHERE ${whereKey(shape.partition)}`, params),
    );
  }

  async insertIfAbsent<T extends AnyTable>(
    table: T,
    row: RowWrite<T>,
    options?: WriteOptions,
  ): Promise<{ applied: true } | { applied: false; existing: Row<T> }> {
    const statement = this.insert(table, row, options?.ttlSeconds, " IF NOT EXISTS");
    const result = await this.call(() => this.client.execute(statement.query, statement.params));
    const first = result.first();
    if (first?.get("[applied]") === true) return { applied: true };
    return { applied: false, existing: rowFromCql(this.shapeFor(table), (c) => first?.get(c)) as Row<T> };
  }

  async deleteIf<T extends AnyTable>(
    table: T,
    key: PrimaryKey<T>,
    expected: Partial<Row<T>> = {},
  ): Promise<boolean> {
    const statement = this.deleteRow(table, key);
    const fields = expected as Fields;
    const columns = Object.keys(fields);
    const condition = columns.length === 0 ? " IF EXISTS" : ` IF ${whereKey(columns)}`;
    const result = await this.call(() =>
      this.client.execute(statement.query + condition, [
        ...statement.params,
        ...bindColumns(table, columns, fields),
      ]),
    );
    return result.first()?.get("[applied]") === true;
  }

  async updateIf<T extends AnyTable>(
    table: T,
    row: RowWrite<T>,
    expected: Partial<Row<T>> = {},
    options?: WriteOptions,
  ): Promise<boolean> {
    if (table.counter) throw new Error(`table ${table.name} holds counters: change it with increment`);
    const shape = this.shapeFor(table);
    const fields = row as Fields;
    const set = writtenColumns(shape, fields);
    if (set.length === 0) throw new TypeError(`updateIf on ${table.name}: name at least one value column`);
    const params: unknown[] = [];
    let using = "";
    if (options?.ttlSeconds !== undefined) {
      using = " USING TTL ?";
      params.push(checkTtlSeconds(options.ttlSeconds));
    }
    const conditions = expected as Fields;
    const conditionColumns = Object.keys(conditions);
    const condition = conditionColumns.length === 0 ? " IF EXISTS" : ` IF ${whereKey(conditionColumns)}`;
    params.push(
      ...bindColumns(table, set, fields),
      ...bindColumns(table, shape.keyColumns, fields),
      ...bindColumns(table, conditionColumns, conditions),
    );
    const query =
      `UPDATE ${this.qualified(table)}${using} SET ${set.map((c) => `${c} = ?`).join(", ")} ` +
      `WHERE ${whereKey(shape.keyColumns)}${condition}`;
    const result = await this.call(() => this.client.execute(query, params));
    return result.first()?.get("[applied]") === true;
  }

  async slice<T extends AnyTable>(
    table: T,
    partition: PartitionKey<T>,
    options: SliceOptions<T> = {},
  ): Promise<Slice<T>> {
    const shape = this.shapeFor(table);
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new RangeError(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    }
    const query = this.sliceQuery(shape, partition, options);
    const fingerprint = createHash("sha256").update(query.query).update(canonical(query.params)).digest();
    const pageState =
      options.pageToken === undefined ? undefined : this.openToken(options.pageToken, fingerprint);
    const result = await this.call(() =>
      this.client.execute(query.query, query.params, {
        fetchSize: limit,
        autoPage: false,
        ...(pageState && { pageState }),
      }),
    );
    const rows = result.rows.map((r) => rowFromCql(shape, (c) => r.get(c)) as Row<T>);
    const next = result.pageState ? Buffer.from(result.pageState, "hex") : undefined;
    return { rows, nextPageToken: next && next.length > 0 ? this.sealToken(next, fingerprint) : undefined };
  }

  async scan<T extends AnyTable>(
    table: T,
    options: { limit?: number; pageToken?: string } = {},
  ): Promise<Slice<T>> {
    const shape = this.shapeFor(table);
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new RangeError(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    }
    const query = `SELECT * FROM ${this.qualified(table)}`;
    const fingerprint = createHash("sha256").update(query).digest();
    const pageState =
      options.pageToken === undefined ? undefined : this.openToken(options.pageToken, fingerprint);
    const result = await this.call(() =>
      this.client.execute(query, [], { fetchSize: limit, autoPage: false, ...(pageState && { pageState }) }),
    );
    const rows = result.rows.map((r) => rowFromCql(shape, (c) => r.get(c)) as Row<T>);
    const next = result.pageState ? Buffer.from(result.pageState, "hex") : undefined;
    return { rows, nextPageToken: next && next.length > 0 ? this.sealToken(next, fingerprint) : undefined };
  }

  async batch<T extends AnyTable>(
    table: T,
    partition: PartitionKey<T>,
    ops: readonly BatchOp<T>[],
  ): Promise<void> {
    assertPlainWritable(table, "batch");
    const shape = this.shapeFor(table);
    const statements = ops.map((op) => {
      const fields = (op.op === "put" ? op.row : op.key) as Fields;
      for (const column of shape.partition) {
        if (!sameValue(fields[column], (partition as Fields)[column])) {
          throw new Error(
            `a batch on ${table.name} may only touch the partition it names (${column} differs)`,
          );
        }
      }
      return op.op === "put" ? this.insert(table, fields, op.ttlSeconds, "") : this.deleteRow(table, fields);
    });
    if (statements.length === 0) return;
    // One partition: an unlogged batch is atomic and isolated there, without the batch log's cost.
    await this.call(() => this.client.batch(statements, { logged: false, prepare: true }));
  }

  async increment<T extends AnyTable>(table: T, key: PrimaryKey<T>, deltas: CounterDeltas<T>): Promise<void> {
    if (!table.counter) throw new Error(`table ${table.name} is not a counter table`);
    const shape = this.shapeFor(table);
    const changes = Object.entries(deltas as Record<string, number | undefined>).filter(
      (entry): entry is [string, number] => entry[1] !== undefined,
    );
    if (changes.length === 0) return;
    for (const [column, delta] of changes) {
      if (!shape.valueColumns.includes(column))
        throw new TypeError(`table ${table.name} has no counter ${column}`);
      if (!Number.isSafeInteger(delta))
        throw new TypeError(`counter ${column}: expected a safe integer delta`);
    }
    const set = changes.map(([column]) => `${column} = ${column} + ?`).join(", ");
    const params = [
      ...changes.map(([, delta]) => BigInt(delta)),
      ...bindColumns(table, shape.keyColumns, key),
    ];
    await this.call(() =>
      this.client.execute(
        `UPDATE ${this.qualified(table)} SET ${set} WHERE ${whereKey(shape.keyColumns)}`,
        params,
      ),
    );
  }

  private async connect(): Promise<void> {
    await this.call(async () => {
      try {
        await this.client.connect();
      } catch (err: unknown) {
        throw this.loginError(err) ?? err;
      }
    });
    const replication = Object.entries(this.options.replication)
      .map(([k, v]) => `'${k}': ${typeof v === "number" ? v : `'${v}'`}`)
      .join(", ");
    const ks = this.options.keyspace;
    await this.call(() =>
      this.client.execute(`CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {${replication}}`),
    );
    await this.call(() =>
      this.client.execute(`CREATE TABLE IF NOT EXISTS ${ks}.store_meta (name text PRIMARY KEY, value blob)`),
    );
    // Page tokens are sealed with a key every node shares: the first node to start stores it, the rest read it.
    await this.call(() =>
      this.client.execute(
        `INSERT INTO ${ks}.store_meta (name, value) VALUES ('page_token_key', ?) IF NOT EXISTS`,
        [randomBytes(32)],
      ),
    );
    const stored = await this.call(() =>
      this.client.execute(`SELECT value FROM ${ks}.store_meta WHERE name = 'page_token_key'`, [], {
        consistency: types.consistencies.localSerial,
      }),
    );
    const key: unknown = stored.first()?.get("value");
    if (!Buffer.isBuffer(key)) throw new Error("could not read the page token key from store_meta");
    this.tokenKey = key;
    this.state = "open";
  }

  private insert(table: AnyTable, fields: Fields, ttlSeconds: number | undefined, condition: string) {
    if (table.counter) throw new Error(`table ${table.name} holds counters: change it with increment`);
    const shape = this.shapeFor(table);
    const columns = [...shape.keyColumns, ...writtenColumns(shape, fields)];
    const params = bindColumns(table, columns, fields);
    let using = "";
    if (ttlSeconds !== undefined) {
      using = " USING TTL ?";
      params.push(checkTtlSeconds(ttlSeconds));
    }
    const query =
      `INSERT INTO ${this.qualified(table)} (${columns.join(", ")}) ` +
      `VALUES (${columns.map(() => "?").join(", ")})${condition}${using}`;
    return { query, params };
  }

  private deleteRow(table: AnyTable, fields: Fields) {
    const shape = this.shapeFor(table);
    return {
      query: `DELETE FROM ${this.qualified(table)} WHERE ${whereKey(shape.keyColumns)}`,
      params: bindColumns(table, shape.keyColumns, fields),
    };
  }

  private sliceQuery(shape: TableShape, partition: Fields, options: SliceOptions<AnyTable>) {
    const table = shape.table;
    if (options.gt && options.gte) throw new Error("give gt or gte, not both");
    if (options.lt && options.lte) throw new Error("give lt or lte, not both");
    const relations = [
      { cql: whereKey(shape.partition), params: bindColumns(table, shape.partition, partition) },
    ];
    const bounds = [
      boundRelation(shape, ">", options.gt ?? {}),
      boundRelation(shape, ">=", options.gte ?? {}),
      boundRelation(shape, "<", options.lt ?? {}),
      boundRelation(shape, "<=", options.lte ?? {}),
    ];
    for (const bound of bounds) if (bound) relations.push(bound);
    const order =
      options.reverse && table.clustering.length > 0
        ? ` ORDER BY ${table.clustering.map((c) => `${c.column} ${c.order === "asc" ? "DESC" : "ASC"}`).join(", ")}`
        : "";
    return {
      query: `SELECT * FROM ${this.qualified(table)} WHERE ${relations.map((r) => r.cql).join(" AND ")}${order}`,
      params: relations.flatMap((r) => r.params),
    };
  }

  /** version | MAC over (query fingerprint, page state) | the driver's page state. */
  private sealToken(pageState: Buffer, fingerprint: Buffer): string {
    const mac = this.mac(fingerprint, pageState);
    return Buffer.concat([Buffer.from([TOKEN_VERSION]), mac, pageState]).toString("base64url");
  }

  private openToken(token: string, fingerprint: Buffer): Buffer {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new InvalidPageTokenError();
    const bytes = Buffer.from(token, "base64url");
    if (
      bytes.length <= 1 + MAC_BYTES ||
      bytes[0] !== TOKEN_VERSION ||
      bytes.toString("base64url") !== token
    ) {
      throw new InvalidPageTokenError();
    }
    const mac = bytes.subarray(1, 1 + MAC_BYTES);
    const pageState = bytes.subarray(1 + MAC_BYTES);
    if (!timingSafeEqual(mac, this.mac(fingerprint, pageState))) throw new InvalidPageTokenError();
    return pageState;
  }

  private mac(fingerprint: Buffer, pageState: Buffer): Buffer {
    if (this.tokenKey === undefined) throw new StoreClosedError();
    return createHmac("sha256", this.tokenKey)
      .update(fingerprint)
      .update(pageState)
      .digest()
      .subarray(0, MAC_BYTES);
  }

  private shapeFor(table: AnyTable): TableShape {
    if (this.state !== "open") throw new StoreClosedError();
    const shape = this.shapes.get(table.name);
    if (shape === undefined || shape.table !== table) {
      throw new Error(`table ${table.name} was not given to open()`);
    }
    return shape;
  }

  /** A method, not a field test, because close() may run while a call is awaited. */
  private isClosed(): boolean {
    return this.state === "closed";
  }

  private qualified(table: AnyTable): string {
    return `${this.options.keyspace}.${table.name}`;
  }

  /** A failed connect() that Cassandra's login explains, as the CassandraLoginError to report instead. */
  private loginError(err: unknown): CassandraLoginError | undefined {
    const failures =
      err instanceof driverErrors.NoHostAvailableError
        ? Object.entries((err.innerErrors ?? {}) as Record<string, unknown>)
        : [["", err] as const];
    const [host, refusal] =
      failures.find(([, inner]) => inner instanceof driverErrors.AuthenticationError) ?? [];
    if (!(refusal instanceof driverErrors.AuthenticationError)) return undefined;
    const at = host ? ` at ${host}` : "";
    const message =
      this.username === undefined
        ? `cassandra${at} requires a login: set CASSANDRA_USERNAME and CASSANDRA_PASSWORD`
        : `cassandra${at} refused the login of CASSANDRA_USERNAME=${JSON.stringify(this.username)}` +
          ` (${refusal.message}): check CASSANDRA_USERNAME and CASSANDRA_PASSWORD`;
    return new CassandraLoginError(message, { cause: err });
  }

  /** Runs a driver call, turning "the cluster cannot answer now" into StoreUnavailableError. */
  private async call<R>(operation: () => Promise<R>): Promise<R> {
    if (this.state === "closed") throw new StoreClosedError();
    try {
      return await operation();
    } catch (err: unknown) {
      if (isUnavailable(err)) {
        throw new StoreUnavailableError(`cassandra: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      if (this.isClosed()) throw new StoreClosedError();
      throw err;
    }
  }
}

function isUnavailable(err: unknown): boolean {
  if (
    err instanceof driverErrors.NoHostAvailableError ||
    err instanceof driverErrors.OperationTimedOutError
  ) {
    return true;
  }
  if (err instanceof driverErrors.ResponseError) return UNAVAILABLE_CODES.has(err.code);
  // A connection dropped mid-request surfaces as a plain driver error about the socket.
  return err instanceof Error && /socket|ECONNRESET|ECONNREFUSED|Connection closed/i.test(err.message);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

/** A stable text for bound parameters, so a token is tied to the exact query it came from. */
function canonical(params: readonly unknown[]): string {
  return JSON.stringify(params, (_key, value: unknown) => {
    if (typeof value === "bigint") return `n${value}`;
    if (Buffer.isBuffer(value)) return `b${value.toString("hex")}`;
    if (typeof value === "object" && value !== null && "type" in value && value.type === "Buffer") {
      return `b${Buffer.from((value as unknown as { data: number[] }).data).toString("hex")}`;
    }
    return value;
  });
}

function checkTtlSeconds(ttlSeconds: number): number {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > MAX_TTL_SECONDS) {
    throw new RangeError(`ttlSeconds must be an integer from 0 to ${MAX_TTL_SECONDS}`);
  }
  return ttlSeconds;
}
