/**
 * CQL for the wide-row port, derived from the same table declarations the embedded adapter uses. Pure: it
 * builds statement text and parameter lists, and maps values both ways; lib/store/cassandra.ts runs them.
 */
import { assertColumnValue } from "./key-codec";
import type { AnyTable, ColumnType } from "./schema";

export type Fields = Record<string, unknown>;

/** The CQL type of each column type (also used by the migrations to add columns). */
export const CQL_TYPES: Record<ColumnType, string> = {
  id: "bigint",
  text: "text",
  int: "bigint",
  boolean: "boolean",
  timestamp: "timestamp",
  blob: "blob",
  counter: "counter",
};

export interface TableShape {
  readonly table: AnyTable;
  readonly partition: readonly string[];
  readonly clustering: readonly string[];
  readonly keyColumns: readonly string[];
  readonly valueColumns: readonly string[];
}

export function shapeOf(table: AnyTable): TableShape {
  const partition = [...table.partitionKey];
  const clustering = table.clustering.map((c) => c.column);
  const keyColumns = [...partition, ...clustering];
  const valueColumns = Object.keys(table.columns).filter((c) => !keyColumns.includes(c));
  return { table, partition, clustering, keyColumns, valueColumns };
}

/** What a `transient` table is created (or altered) with: see TableDef.transient. */
export const TRANSIENT_OPTIONS = "gc_grace_seconds = 3600";

/** `CREATE TABLE IF NOT EXISTS`, with the clustering order and the default TTL of the declaration. */
export function createTableCql(keyspace: string, table: AnyTable): string {
  const shape = shapeOf(table);
  const columns = Object.entries(table.columns).map(([name, type]) => `${name} ${CQL_TYPES[type]}`);
  const key = `PRIMARY KEY ((${shape.partition.join(", ")})${shape.clustering.map((c) => `, ${c}`).join("")})`;
  const options: string[] = [];
  if (table.clustering.length > 0) {
    options.push(
      `CLUSTERING ORDER BY (${table.clustering.map((c) => `${c.column} ${c.order.toUpperCase()}`).join(", ")})`,
    );
  }
  if (table.ttlSeconds !== undefined && table.ttlSeconds > 0) {
    options.push(`default_time_to_live = ${table.ttlSeconds}`);
  }
  if (table.transient === true) options.push(TRANSIENT_OPTIONS);
  const withClause = options.length > 0 ? ` WITH ${options.join(" AND ")}` : "";
  return `CREATE TABLE IF NOT EXISTS ${keyspace}.${table.name} (${[...columns, key].join(", ")})${withClause}`;
}

export function whereKey(columns: readonly string[]): string {
  return columns.map((c) => `${c} = ?`).join(" AND ");
}

/** Values the driver binds: ids and ints as bigint (with `useBigIntAsLong`), the rest as they are. */
export function toCql(type: ColumnType, value: unknown): unknown {
  switch (type) {
    case "id":
      return BigInt(value as string);
    case "int":
    case "counter":
      return BigInt(value as number);
    default:
      return value;
  }
}

export function fromCql(type: ColumnType, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  switch (type) {
    case "id":
      return (value as bigint).toString();
    case "int":
    case "counter":
      return Number(value);
    default:
      return value;
  }
}

/** Checks the named columns and returns them in CQL form, in the order given. */
export function bindColumns(table: AnyTable, names: readonly string[], fields: Fields): unknown[] {
  return names.map((name) => {
    const type = table.columns[name];
    if (type === undefined) throw new TypeError(`table ${table.name} has no column ${name}`);
    const value = fields[name];
    assertColumnValue(name, type, value);
    return toCql(type, value);
  });
}

/** The value columns a write names, refusing columns the table does not have. */
export function writtenColumns(shape: TableShape, fields: Fields): string[] {
  for (const name of Object.keys(fields)) {
    if (!(name in shape.table.columns))
      throw new TypeError(`table ${shape.table.name} has no column ${name}`);
  }
  return shape.valueColumns.filter((c) => fields[c] !== undefined);
}

export function rowFromCql(shape: TableShape, get: (column: string) => unknown): Fields {
  const row: Fields = {};
  for (const [name, type] of Object.entries(shape.table.columns)) {
    const value = fromCql(type, get(name));
    if (value !== undefined) row[name] = value;
    else if (type === "counter") row[name] = 0;
  }
  return row;
}

/** One bound of a slice as a CQL relation on a prefix of the clustering columns: `(a, b) >= (?, ?)`. */
export function boundRelation(
  shape: TableShape,
  operator: ">" | ">=" | "<" | "<=",
  prefix: Fields,
): { cql: string; params: unknown[] } | undefined {
  const named = Object.keys(prefix).filter((k) => prefix[k] !== undefined);
  if (named.length === 0) return undefined;
  const columns = shape.clustering.slice(0, named.length);
  if (!columns.every((c) => named.includes(c)) || named.length > shape.clustering.length) {
    throw new Error(`a bound on ${shape.table.name} must name a prefix of its clustering columns`);
  }
  const orders = new Set(shape.table.clustering.slice(0, columns.length).map((c) => c.order));
  if (orders.size > 1) throw new Error(`the columns of a bound on ${shape.table.name} must share one order`);
  const params = bindColumns(shape.table, columns, prefix);
  const cql =
    columns.length === 1
      ? `${columns[0]} ${operator} ?`
      : `(${columns.join(", ")}) ${operator} (${columns.map(() => "?").join(", ")})`;
  return { cql, params };
}
