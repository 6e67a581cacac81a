/**
 * Why conditional tables exist: on Cassandra, a plain write followed at once by a lightweight transaction on the
 * same row can be ordered after it (different clocks). Counts, over N rounds on one row, how often a row written
 * plainly survives a deleteIf that answered true, against the same rounds written only conditionally.
 *
 *   npm run bench:lwt-order -- [--rounds 500]   (Cassandra on 127.0.0.1:9042: npm run infra:up)
 */
import { randomBytes } from "node:crypto";
import { CassandraStore } from "../lib/store/cassandra";
import { defineTable } from "../lib/store/schema";
import { positiveIntOption } from "./support/options";

const plain = defineTable({
  name: "lwt_order_plain",
  columns: { handle: "text", owner: "id" },
  partitionKey: ["handle"],
});
const conditional = defineTable({
  name: "lwt_order_conditional",
  columns: { handle: "text", owner: "id" },
  partitionKey: ["handle"],
  conditional: true,
});

async function main(): Promise<void> {
  const rounds = positiveIntOption(process.argv, "rounds", 500);
  const store = new CassandraStore({
    contactPoints: ["127.0.0.1:9042"],
    localDataCenter: "datacenter1",
    keyspace: "mosaic_bench",
    replication: { class: "SimpleStrategy", replication_factor: 1 },
    consistency: "localQuorum",
    requestTimeoutMs: 10_000,
    nodeId: "bench",
  });
  await store.open([plain, conditional]);
  let survivedPlain = 0;
  let survivedConditional = 0;
  const handle = `h-${randomBytes(6).toString("hex")}`;
  for (let i = 0; i < rounds; i++) {
    await store.put(plain, { handle, owner: "1" });
    if (!(await store.deleteIf(plain, { handle }))) throw new Error("deleteIf missed a row just written");
    if ((await store.get(plain, { handle })) !== undefined) survivedPlain++;
    await store.insertIfAbsent(conditional, { handle, owner: "1" });
    if (!(await store.deleteIf(conditional, { handle })))
      throw new Error("deleteIf missed a row just written");
    if ((await store.get(conditional, { handle })) !== undefined) survivedConditional++;
    if ((await store.get(plain, { handle })) !== undefined) await store.deleteIf(plain, { handle });
  }
  await store.close();
  console.log(`rounds: ${rounds}`);
  console.log(`plain put, then deleteIf answered true, row still there: ${survivedPlain}`);
  console.log(`insertIfAbsent, then deleteIf answered true, row still there: ${survivedConditional}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
