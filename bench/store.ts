import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import { ClassicLevel } from "classic-level";
import { SnowflakeGenerator } from "../lib/ids";
import { LevelStore } from "../lib/store/level";
import { defineTable } from "../lib/store/schema";

/**
 * The store port against the raw client it wraps (embedded: classic-level), in one run:
 *   - a point read of one row (the port reads synchronously; raw async get and raw getSync both shown),
 *   - a slice of 20 rows of one partition,
 *   - a batch of 20 writes to one partition.
 *
 *   npm run bench:store [-- --ops 20000]
 */
const timeline = defineTable({
  name: "bench_timeline",
  columns: { user_id: "id", post_id: "id", author_id: "id" },
  partitionKey: ["user_id"],
  clustering: [{ column: "post_id", order: "desc" }],
});

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function time(ops: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(ops, 2000); i++) await fn(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await fn(i);
  return ops / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function main(): Promise<void> {
  const ops = arg("ops", 20_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), "mosaic-bench-store-"));
  const ids = new SnowflakeGenerator({ workerId: 1 });
  const store = new LevelStore({ path: path.join(dir, "port") });
  await store.open([timeline]);
  const raw = new ClassicLevel<Buffer, Buffer>(path.join(dir, "raw"), {
    keyEncoding: "buffer",
    valueEncoding: "buffer",
  });
  await raw.open();

  const user = await ids.next();
  const posts: string[] = [];
  for (let i = 0; i < 200; i++) posts.push(await ids.next());
  await store.batch(
    timeline,
    { user_id: user },
    posts.map((post_id) => ({ op: "put" as const, row: { user_id: user, post_id, author_id: user } })),
  );
  // The raw side stores the same bytes per row: an 8-byte user, an inverted 8-byte post id, a v8 value.
  const rawKey = (post: string) => {
    const key = Buffer.alloc(16);
    key.writeBigUInt64BE(BigInt(user), 0);
    key.writeBigUInt64BE(~BigInt(post) & 0xffffffffffffffffn, 8);
    return key;
  };
  const rawValue = v8.serialize({ c: { author_id: user } });
  await raw.batch(posts.map((post) => ({ type: "put" as const, key: rawKey(post), value: rawValue })));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64BE(BigInt(user));
  const end = Buffer.concat([prefix, Buffer.alloc(8, 0xff)]);

  const results: Record<string, { port: number; raw: number; "raw (sync get)"?: number }> = {};
  const pick = (i: number) => posts[i % posts.length] ?? user;
  results["point read"] = {
    port: await time(ops, (i) => store.get(timeline, { user_id: user, post_id: pick(i) })),
    raw: await time(ops, async (i) => v8.deserialize((await raw.get(rawKey(pick(i))))!)),
    "raw (sync get)": await time(ops, (i) => v8.deserialize(raw.getSync(rawKey(pick(i)))!)),
  };
  results["slice of 20"] = {
    port: await time(ops / 4, () => store.slice(timeline, { user_id: user }, { limit: 20 })),
    raw: await time(ops / 4, async () =>
      (await raw.iterator({ gte: prefix, lt: end, limit: 20 }).all()).map(
        ([, v]) => v8.deserialize(v) as unknown,
      ),
    ),
  };
  let n = 0;
  results["batch of 20 writes"] = {
    port: await time(ops / 10, () =>
      store.batch(
        timeline,
        { user_id: user },
        Array.from({ length: 20 }, () => {
          const post_id = String(BigInt(posts[0] ?? "1") + BigInt(++n));
          return { op: "put" as const, row: { user_id: user, post_id, author_id: user } };
        }),
      ),
    ),
    raw: await time(ops / 10, () =>
      raw.batch(
        Array.from({ length: 20 }, () => ({
          type: "put" as const,
          key: rawKey(String(BigInt(posts[0] ?? "1") + BigInt(++n))),
          value: rawValue,
        })),
      ),
    ),
  };

  console.log("embedded store (LevelDB): operations per second, port vs raw classic-level");
  console.table(
    Object.fromEntries(
      Object.entries(results).map(([name, r]) => [
        name,
        {
          "port ops/s": Math.round(r.port),
          "raw ops/s": Math.round(r.raw),
          "port / raw": Number((r.port / r.raw).toFixed(2)),
          ...(r["raw (sync get)"] && {
            "raw getSync ops/s": Math.round(r["raw (sync get)"]),
            "port / raw getSync": Number((r.port / r["raw (sync get)"]).toFixed(2)),
          }),
        },
      ]),
    ),
  );
  await store.close();
  await raw.close();
  await rm(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
