import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { NodeMetrics, STORE_OPERATIONS } from "../../../lib/metrics";
import { createStore } from "../../../lib/store";
import { InvalidPageTokenError, StoreClosedError } from "../../../lib/store/errors";
import { LevelStore } from "../../../lib/store/level";
import { MeteredStore } from "../../../lib/store/metered-store";
import { defineTable } from "../../../lib/store/schema";
import type { WideRowStore } from "../../../lib/store/store";
import { describeStoreContract } from "../store/contract";
import { families, scrape } from "./scrape";

const notes = defineTable({
  name: "metered_notes",
  columns: { owner: "text", n: "int", body: "text" },
  partitionKey: ["owner"],
  clustering: [{ column: "n", order: "asc" }],
});

// Measuring changes nothing the store does: the whole port contract holds through the wrapper.
describeStoreContract("MeteredStore around LevelStore", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "mosaic-metered-contract-"));
  let now = Date.parse("2030-01-01T00:00:00.000Z");
  const store = new MeteredStore(
    new LevelStore({ path: path.join(dir, "db"), now: () => now }),
    new NodeMetrics().store,
  );
  return {
    store,
    clock: {
      advance(ms: number) {
        now += ms;
      },
    },
    async teardown() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe("the store metrics (MeteredStore)", () => {
  let dir: string;
  let metrics: NodeMetrics;
  let store: WideRowStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-metered-store-"));
    metrics = new NodeMetrics();
    store = createStore(
      { store: { kind: "level" }, dataDir: dir, nodeId: "metered" },
      undefined,
      metrics.store,
    );
    await store.open([notes]);
  });
  afterEach(async () => {
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it("time each operation under its own label, and answer what the adapter answers", async () => {
    await store.put(notes, { owner: "ada", n: 1, body: "one" });
    await store.put(notes, { owner: "ada", n: 2, body: "two" });
    expect(await store.get(notes, { owner: "ada", n: 2 })).to.deep.include({ body: "two" });
    expect((await store.slice(notes, { owner: "ada" })).rows.map((r) => r.n)).to.deep.equal([1, 2]);
    expect(await store.insertIfAbsent(notes, { owner: "ada", n: 1, body: "again" })).to.deep.include({
      applied: false,
    });

    const samples = await scrape(metrics);
    const count = (operation: string) =>
      samples.get(`mosaic_store_operation_duration_seconds_count{operation="${operation}"}`);
    expect(count("put")).to.equal(2);
    expect(count("get")).to.equal(1);
    expect(count("slice")).to.equal(1);
    expect(count("insert_if_absent")).to.equal(1);
    expect(count("delete")).to.equal(undefined);
    // Every operation's error count is there from the start, at 0.
    for (const operation of STORE_OPERATIONS) {
      expect(samples.get(`mosaic_store_errors_total{operation="${operation}"}`), operation).to.equal(0);
    }
  });

  it("count a failed operation as an error of that operation, and still pass the error on", async () => {
    await store.close();
    const failure = await store.get(notes, { owner: "ada", n: 1 }).catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(StoreClosedError);
    await store.put(notes, { owner: "ada", n: 1, body: "x" }).catch(() => undefined);
    await store.put(notes, { owner: "ada", n: 2, body: "y" }).catch(() => undefined);

    const samples = await scrape(metrics);
    expect(samples.get('mosaic_store_errors_total{operation="get"}')).to.equal(1);
    expect(samples.get('mosaic_store_errors_total{operation="put"}')).to.equal(2);
    expect(samples.get('mosaic_store_errors_total{operation="slice"}')).to.equal(0);
    // Failures are timed too: a store that times out shows in the latency as well as in the errors.
    expect(samples.get('mosaic_store_operation_duration_seconds_count{operation="put"}')).to.equal(2);
  });

  it("do not count a page token the store never issued: that is the caller's mistake", async () => {
    const failure = await store
      .slice(notes, { owner: "ada" }, { pageToken: "not-a-token" })
      .catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(InvalidPageTokenError);
    expect((await scrape(metrics)).get('mosaic_store_errors_total{operation="slice"}')).to.equal(0);
  });

  it("are registered only by a node that builds a store, which is measured only when given them", async () => {
    const bare = new NodeMetrics();
    expect(await families(bare)).to.not.include("mosaic_store_errors_total");
    expect(store).to.be.instanceOf(MeteredStore);
    const plain = createStore({ store: { kind: "level" }, dataDir: dir, nodeId: "plain" });
    expect(plain).to.be.instanceOf(LevelStore);
  });
});
