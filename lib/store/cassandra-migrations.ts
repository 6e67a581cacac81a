import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Client } from "cassandra-driver";
import { CQL_TYPES, TRANSIENT_OPTIONS, createTableCql } from "./cql";
import type { AnyTable } from "./schema";

const LOCK_TTL_SECONDS = 60;
const LOCK_WAIT_MS = 90_000;

/**
 * Versioned schema migrations derived from the table declarations. A migration is one CQL statement (create a
 * table, add a column), identified by the hash of its text and recorded in `schema_migrations` once applied, so
 * start-up skips what is done.
 *
 * Two nodes starting at once must not change the schema at the same time (concurrent DDL on Cassandra 5.0 can
 * leave nodes disagreeing on a table's id), so the changes run under a lock taken with a lightweight transaction;
 * whoever waits re-reads what the holder did.
 */
export class CassandraMigrations {
  constructor(
    private readonly client: Client,
    private readonly keyspace: string,
    private readonly holder: string,
  ) {}

  async apply(tables: readonly AnyTable[]): Promise<void> {
    const ks = this.keyspace;
    await this.client.execute(
      `CREATE TABLE IF NOT EXISTS ${ks}.schema_migrations (id text PRIMARY KEY, statement text, applied_at timestamp)`,
    );
    await this.client.execute(
      `CREATE TABLE IF NOT EXISTS ${ks}.schema_lock (name text PRIMARY KEY, holder text, taken_at timestamp)`,
    );
    if ((await this.pending(tables)).length === 0) return;

    await this.lock();
    try {
      // Another node may have applied some while we waited for the lock.
      for (const statement of await this.pending(tables)) {
        const result = await this.client.execute(statement.cql);
        // The driver waits for every node to agree on the new schema (its typings omit the flag it sets);
        // going on without agreement risks writes to a table some nodes do not know yet.
        if (!(result.info as { isSchemaInAgreement?: boolean }).isSchemaInAgreement) {
          throw new Error(`the cluster did not agree on the schema after: ${statement.cql}`);
        }
        await this.client.execute(
          `INSERT INTO ${ks}.schema_migrations (id, statement, applied_at) VALUES (?, ?, ?)`,
          [statement.id, statement.cql, new Date()],
        );
      }
    } finally {
      await this.unlock();
    }
  }

  /** Statements not yet recorded: a table's creation, then any column its declaration gained since. */
  private async pending(tables: readonly AnyTable[]): Promise<{ id: string; cql: string }[]> {
    const applied = new Set<string>();
    const rows = await this.client.execute(`SELECT id FROM ${this.keyspace}.schema_migrations`, [], {
      fetchSize: 5_000,
    });
    for (const row of rows.rows) applied.add(String(row.get("id")));

    const statements: { id: string; cql: string }[] = [];
    for (const table of tables) {
      const create = createTableCql(this.keyspace, table);
      const existing = await this.columnsOf(table.name);
      if (existing === undefined) {
        statements.push({ id: idOf(table.name, create), cql: create });
        continue;
      }
      for (const [column, type] of Object.entries(table.columns)) {
        if (existing.has(column)) continue;
        const cql = `ALTER TABLE ${this.keyspace}.${table.name} ADD ${column} ${CQL_TYPES[type]}`;
        statements.push({ id: idOf(table.name, cql), cql });
      }
      if (table.transient === true) {
        // Tables made before they were declared transient.
        const cql = `ALTER TABLE ${this.keyspace}.${table.name} WITH ${TRANSIENT_OPTIONS}`;
        statements.push({ id: idOf(table.name, cql), cql });
      }
    }
    return statements.filter((s) => !applied.has(s.id));
  }

  private async columnsOf(table: string): Promise<Set<string> | undefined> {
    const result = await this.client.execute(
      "SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?",
      [this.keyspace, table],
    );
    return result.rows.length === 0
      ? undefined
      : new Set(result.rows.map((r) => String(r.get("column_name"))));
  }

  private async lock(): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      const result = await this.client.execute(
        `INSERT INTO ${this.keyspace}.schema_lock (name, holder, taken_at) VALUES ('schema', ?, ?) ` +
          `IF NOT EXISTS USING TTL ${LOCK_TTL_SECONDS}`,
        [this.holder, new Date()],
      );
      if (result.first()?.get("[applied]") === true) return;
      if (Date.now() > deadline) {
        throw new Error(
          `schema lock still held by ${String(result.first()?.get("holder"))} after ${LOCK_WAIT_MS} ms`,
        );
      }
      await sleep(delay);
    }
  }

  private async unlock(): Promise<void> {
    await this.client.execute(
      `DELETE FROM ${this.keyspace}.schema_lock WHERE name = 'schema' IF holder = ?`,
      [this.holder],
    );
  }
}

function idOf(table: string, cql: string): string {
  return `${table}:${createHash("sha256").update(cql).digest("hex").slice(0, 16)}`;
}
