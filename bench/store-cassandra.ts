import { Client, types } from "cassandra-driver";
import { SnowflakeGenerator } from "../lib/ids";
import { CassandraStore } from "../lib/store/cassandra";
import { defineTable } from "../lib/store/schema";

/**
 * The store port on Cassandra against the raw cassandra-driver doing the same statements, in one run:
 * a point read, a 20-row slice of one partition, and a 20-row single-partition batch.
 * Needs Cassandra on CASSANDRA_CONTACT_POINTS (default 127.0.0.1:9042; `npm run infra:up`).
 *
 *   npm run bench:store -- --ops 5000
 */
const timeline = defineTable({
  name: "bench_timeline",
  columns: { user_id: "id", post_id: "id", author_id: "id" },
  partitionKey: ["user_id"],
  clustering: [{ column: "post_id", order: "desc" }],
});

const KEYSPACE = "mosaic_bench";
const CONTACT = (process.env.CASSANDRA_CONTACT_POINTS ?? "127.0.0.1:9042").split(",");

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Runs `ops` operations with `concurrency` in flight, as a server would see them. */
async function rate(ops: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < ops) await fn(next++);
  };
  const warm = Math.min(500, ops);
  for (let i = 0; i < warm; i++) await fn(i);
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ops / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function main(): Promise<void> {
  const ops = arg("ops", 5_000);
  const concurrency = arg("concurrency", 32);
  const ids = new SnowflakeGenerator({ workerId: 2 });
  const store = new CassandraStore({
    contactPoints: CONTACT,
    localDataCenter: "datacenter1",
    keyspace: KEYSPACE,
    replication: { class: "SimpleStrategy", replication_factor: 1 },
    consistency: "localQuorum",
    requestTimeoutMs: 10_000,
    nodeId: "bench",
  });
  await store.open([timeline]);
  const raw = new Client({
    contactPoints: CONTACT,
    localDataCenter: "datacenter1",
    keyspace: KEYSPACE,
    encoding: { useBigIntAsLong: true },
    queryOptions: { consistency: types.consistencies.localQuorum, prepare: true },
  });
  await raw.connect();

  const user = await ids.next();
  const posts: string[] = [];
  for (let i = 0; i < 200; i++) posts.push(await ids.next());
  await store.batch(
    timeline,
    { user_id: user },
    posts.map((post_id) => ({ op: "put" as const, row: { user_id: user, post_id, author_id: user } })),
  );
  const pick = (i: number) => posts[i % posts.length] ?? user;
  const table = `${KEYSPACE}.bench_timeline`;
  let n = 0;
  const fresh = () => String(BigInt(posts[0] ?? "1") + BigInt(++n));

  // Cassandra's JVM warms up as it goes: a first round of everything, unmeasured, so neither side pays for it.
  const measure = async () => ({
    "point read": {
      port: await rate(ops, concurrency, (i) => store.get(timeline, { user_id: user, post_id: pick(i) })),
      raw: await rate(ops, concurrency, async (i) => {
        const r = await raw.execute(`SELECT * FROM ${table} WHERE user_id = ? AND post_id = ?`, [
          BigInt(user),
          BigInt(pick(i)),
        ]);
        return r.first()?.get("author_id") as unknown;
      }),
    },
    "slice of 20": {
      port: await rate(ops, concurrency, () => store.slice(timeline, { user_id: user }, { limit: 20 })),
      raw: await rate(ops, concurrency, async () => {
        const r = await raw.execute(`SELECT * FROM ${table} WHERE user_id = ?`, [BigInt(user)], {
          fetchSize: 20,
          autoPage: false,
        });
        return r.rows.map((row) => String(row.get("post_id")));
      }),
    },
    "batch of 20 writes": {
      port: await rate(ops / 5, concurrency, () =>
        store.batch(
          timeline,
          { user_id: user },
          Array.from({ length: 20 }, () => ({
            op: "put" as const,
            row: { user_id: user, post_id: fresh(), author_id: user },
          })),
        ),
      ),
      raw: await rate(ops / 5, concurrency, () =>
        raw.batch(
          Array.from({ length: 20 }, () => ({
            query: `INSERT INTO ${table} (user_id, post_id, author_id) VALUES (?, ?, ?)`,
            params: [BigInt(user), BigInt(fresh()), BigInt(user)],
          })),
          { prepare: true, logged: false },
        ),
      ),
    },
  });
  await measure();
  const results = await measure();

  console.log(
    `Cassandra store: operations per second, port vs raw cassandra-driver (${concurrency} in flight)`,
  );
  console.table(
    Object.fromEntries(
      Object.entries(results).map(([name, r]) => [
        name,
        {
          "port ops/s": Math.round(r.port),
          "raw ops/s": Math.round(r.raw),
          "port / raw": Number((r.port / r.raw).toFixed(2)),
        },
      ]),
    ),
  );
  await store.close();
  await raw.shutdown();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
