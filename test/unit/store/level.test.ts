import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import v8 from "node:v8";
import { expect } from "chai";
import { ClassicLevel } from "classic-level";
import { LevelStore } from "../../../lib/store/level";
import { expiryIndexKey, expiryIndexValue, layoutOf, rowKeyOf } from "../../../lib/store/level-keys";
import { defineTable } from "../../../lib/store/schema";
import { describeStoreContract, randomId, rejectionOf } from "./contract";

const START = Date.parse("2030-01-01T00:00:00.000Z");

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "mosaic-level-"));
}

describeStoreContract("LevelStore", async () => {
  const dir = await tempDir();
  let now = START;
  const store = new LevelStore({ path: path.join(dir, "db"), now: () => now });
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

const posts = defineTable({
  name: "level_posts",
  columns: { owner: "id", k: "id", title: "text" },
  partitionKey: ["owner"],
  clustering: [{ column: "k", order: "asc" }],
});

/** Its name extends the other's, and text partitions can spell that extension: the prefixes must hold apart. */
const tags = defineTable({
  name: "level_tags",
  columns: { tag: "text", k: "id", title: "text" },
  partitionKey: ["tag"],
  clustering: [{ column: "k", order: "asc" }],
});

const tagsExtended = defineTable({
  name: "level_tags_x",
  columns: { tag: "text", k: "id", title: "text" },
  partitionKey: ["tag"],
  clustering: [{ column: "k", order: "asc" }],
});

/** Two value columns, so a write can set a whole row or only part of it. */
const drafts = defineTable({
  name: "level_drafts",
  columns: { owner: "id", k: "id", title: "text", body: "text" },
  partitionKey: ["owner"],
  clustering: [{ column: "k", order: "asc" }],
});

const tables = [posts, tags, tagsExtended, drafts];

/** Long enough for a store just opened to have read its (small) expiry index. */
const INDEX_READ_MS = 50;

/** Every key on disk, read with a bare ClassicLevel once the store has let go of the folder. */
async function rawKeys(location: string): Promise<Buffer[]> {
  const db = new ClassicLevel<Buffer, Buffer>(location, { keyEncoding: "buffer", valueEncoding: "buffer" });
  await db.open();
  try {
    return await db.keys().all();
  } finally {
    await db.close();
  }
}

describe("LevelStore", function () {
  let dir: string;
  let location: string;
  let now: number;
  const clock = () => now;

  beforeEach(async function () {
    dir = await tempDir();
    location = path.join(dir, "db");
    now = START;
  });

  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps data across close and reopen", async function () {
    const owner = randomId();
    const first = new LevelStore({ path: location, now: clock });
    await first.open(tables);
    await first.put(posts, { owner, k: "1", title: "kept" });
    await first.close();
    const second = new LevelStore({ path: location, now: clock });
    await second.open(tables);
    expect(await second.get(posts, { owner, k: "1" })).to.deep.equal({ owner, k: "1", title: "kept" });
    await second.close();
  });

  it("can be opened again after close", async function () {
    const store = new LevelStore({ path: location, now: clock });
    await store.open(tables);
    await store.close();
    await store.open(tables);
    expect(await store.isReady()).to.equal(true);
    await store.close();
  });

  it("lets operations in flight finish before it closes", async function () {
    const owner = randomId();
    const store = new LevelStore({ path: location, now: clock });
    await store.open(tables);
    const writes = Array.from({ length: 50 }, (_, i) =>
      store.put(posts, { owner, k: String(i), title: "t" }),
    );
    await store.close();
    await Promise.all(writes);
    await store.open(tables);
    expect((await store.slice(posts, { owner })).rows).to.have.length(50);
    await store.close();
  });

  it("sweeps expired rows and their index entries off the disk, and only those", async function () {
    const owner = randomId();
    const store = new LevelStore({ path: location, now: clock, sweepIntervalMs: 10 });
    await store.open(tables);
    await store.put(posts, { owner, k: "1", title: "expires" }, { ttlSeconds: 60 });
    await store.put(posts, { owner, k: "2", title: "made permanent" }, { ttlSeconds: 60 });
    await store.put(posts, { owner, k: "2", title: "made permanent" });
    await store.put(posts, { owner, k: "3", title: "extended" }, { ttlSeconds: 60 });
    await store.put(posts, { owner, k: "4", title: "permanent" });
    now += 30_000;
    await store.put(posts, { owner, k: "3", title: "extended" }, { ttlSeconds: 60 });
    await store.close();
    // Four rows, and one index entry each for rows 1 and 3: rewrites replaced their rows' entries.
    expect(await rawKeys(location)).to.have.length(6);

    await store.open(tables);
    now += 31_000;
    await sleep(300);
    await store.close();
    // Rows 2, 3 and 4, and the index entry of row 3, which lives on until its new expiry.
    expect(await rawKeys(location)).to.have.length(4);

    await store.open(tables);
    expect((await store.slice(posts, { owner })).rows.map((row) => row.k)).to.deep.equal(["2", "3", "4"]);
    now += 60_000;
    await sleep(300);
    await store.close();
    expect(await rawKeys(location)).to.have.length(2);
  });

  it("keeps the rows of tables whose names extend each other apart", async function () {
    const store = new LevelStore({ path: location, now: clock });
    await store.open(tables);
    // Without a separator after the table name both rows would have the key "level_tags_xabc…".
    await store.put(tags, { tag: "_xabc", k: "1", title: "short table" });
    await store.put(tagsExtended, { tag: "abc", k: "1", title: "long table" });
    expect(await store.get(tags, { tag: "_xabc", k: "1" })).to.deep.equal({
      tag: "_xabc",
      k: "1",
      title: "short table",
    });
    await store.deletePartition(tags, { tag: "_xabc" });
    expect(await store.get(tagsExtended, { tag: "abc", k: "1" })).to.deep.equal({
      tag: "abc",
      k: "1",
      title: "long table",
    });
    await store.close();
  });

  it("rejects tables it was not opened with, and counter tables with a TTL", async function () {
    const store = new LevelStore({ path: location, now: clock });
    await store.open([posts]);
    expect(await rejectionOf(store.get(tags, { tag: "a", k: "1" }))).to.be.instanceOf(Error);
    const ttlCounters = defineTable({
      name: "level_counters",
      columns: { owner: "id", n: "counter" },
      partitionKey: ["owner"],
      counter: true,
      ttlSeconds: 10,
    });
    expect(await rejectionOf(store.open([ttlCounters]))).to.be.instanceOf(Error);
    await store.close();
  });

  it("rejects operations before open with StoreClosedError", async function () {
    const store = new LevelStore({ path: location, now: clock });
    const error = await rejectionOf(store.get(posts, { owner: "1", k: "1" }));
    expect(error).to.have.property("name", "StoreClosedError");
    expect(await store.isReady()).to.equal(false);
  });

  it("re-checks a row before sweeping it, whatever its index entry says", async function () {
    const owner = randomId();
    const store = new LevelStore({ path: location, now: clock, sweepIntervalMs: 10 });
    await store.open([posts]);
    await store.put(posts, { owner, k: "1", title: "permanent" });
    await store.close();
    // An entry the row outgrew, as when a write lands between the sweeper's scan and its lock.
    const { partition, row } = rowKeyOf(layoutOf(posts), { owner, k: "1" });
    const db = new ClassicLevel<Buffer, Buffer>(location, { keyEncoding: "buffer", valueEncoding: "buffer" });
    await db.put(expiryIndexKey(now - 1, row), expiryIndexValue(partition));
    await db.close();

    await store.open([posts]);
    await sleep(200);
    expect(await store.get(posts, { owner, k: "1" })).to.deep.equal({ owner, k: "1", title: "permanent" });
    await store.close();
    expect(await rawKeys(location)).to.have.length(1);
  });
  it("reads rows stored in the former value format, v8.serialize", async function () {
    const owner = randomId();
    const { row } = rowKeyOf(layoutOf(posts), { owner, k: "1" });
    const db = new ClassicLevel<Buffer, Buffer>(location, { keyEncoding: "buffer", valueEncoding: "buffer" });
    await db.put(
      row,
      v8.serialize({ cells: { title: { value: "old", expiresAt: undefined } }, expiresAt: undefined }),
    );
    await db.close();

    const store = new LevelStore({ path: location, now: clock });
    await store.open(tables);
    expect(await store.get(posts, { owner, k: "1" })).to.deep.equal({ owner, k: "1", title: "old" });
    expect((await store.slice(posts, { owner })).rows).to.deep.equal([{ owner, k: "1", title: "old" }]);
    await store.put(posts, { owner, k: "1", title: "new" });
    expect(await store.get(posts, { owner, k: "1" })).to.deep.equal({ owner, k: "1", title: "new" });
    await store.close();
  });

  it("rejects a row value it cannot decode", async function () {
    const owner = randomId();
    const { row } = rowKeyOf(layoutOf(posts), { owner, k: "1" });
    const db = new ClassicLevel<Buffer, Buffer>(location, { keyEncoding: "buffer", valueEncoding: "buffer" });
    await db.put(row, Buffer.from([0x01, 0x00, 0x05, 0x00]));
    await db.close();

    const store = new LevelStore({ path: location, now: clock });
    await store.open(tables);
    const error = await rejectionOf(store.get(posts, { owner, k: "1" }));
    expect(error).to.be.instanceOf(Error).with.property("message").that.includes("corrupt row value");
    await store.close();
  });

  it("keeps writes in order within a batch, whether they read the row or not", async function () {
    const owner = randomId();
    const store = new LevelStore({ path: location, now: clock });
    await store.open(tables);
    await sleep(INDEX_READ_MS);
    await store.put(drafts, { owner, k: "2", title: "old" });
    // Whole-row puts and deletes need no read in a table without TTL; the partial puts after them must see them.
    await store.batch(drafts, { owner }, [
      { op: "put", row: { owner, k: "1", title: "t", body: "b" } },
      { op: "put", row: { owner, k: "1", title: "t2" } },
      { op: "delete", key: { owner, k: "2" } },
      { op: "put", row: { owner, k: "2", body: "x" } },
      { op: "put", row: { owner, k: "3", title: "first", body: "first" } },
      { op: "put", row: { owner, k: "3", title: "last", body: "last" } },
      { op: "put", row: { owner, k: "4", title: "partial" } },
      { op: "put", row: { owner, k: "4", title: "whole", body: "whole" } },
    ]);
    expect((await store.slice(drafts, { owner })).rows).to.deep.equal([
      { owner, k: "1", title: "t2", body: "b" },
      { owner, k: "2", body: "x" },
      { owner, k: "3", title: "last", body: "last" },
      { owner, k: "4", title: "whole", body: "whole" },
    ]);
    await store.close();
  });

  it("replaces the expiry index entry of a row rewritten without TTL, after a reopen too", async function () {
    const owner = randomId();
    const store = new LevelStore({ path: location, now: clock });
    await store.open(tables);
    await sleep(INDEX_READ_MS);
    await store.put(posts, { owner, k: "1", title: "t" });
    await store.put(posts, { owner, k: "2", title: "t" }, { ttlSeconds: 60 });
    await store.put(posts, { owner, k: "2", title: "t" });
    await store.put(posts, { owner, k: "3", title: "t" }, { ttlSeconds: 60 });
    await store.close();
    // Three rows, and the index entry of row 3 only.
    expect(await rawKeys(location)).to.have.length(4);

    // A new process learns from the index which tables hold rows with a TTL.
    await store.open(tables);
    await sleep(INDEX_READ_MS);
    await store.put(posts, { owner, k: "3", title: "t" });
    await store.delete(posts, { owner, k: "1" });
    await store.close();
    expect(await rawKeys(location)).to.have.length(2);
  });

  it("pages past expired rows, and gives no token when only expired rows follow", async function () {
    const owner = randomId();
    const store = new LevelStore({ path: location, now: clock });
    await store.open(tables);
    const expired = new Set([1, 2, 3, 4, 5, 9, ...Array.from({ length: 30 }, (_, i) => 11 + i)]);
    await store.batch(
      posts,
      { owner },
      Array.from({ length: 40 }, (_, i) => ({
        op: "put" as const,
        row: { owner, k: String(i + 1), title: "t" },
        ttlSeconds: expired.has(i + 1) ? 60 : 0,
      })),
    );
    now += 61_000;
    const first = await store.slice(posts, { owner }, { limit: 3 });
    expect(first.rows.map((row) => row.k)).to.deep.equal(["6", "7", "8"]);
    expect(first.nextPageToken).to.be.a("string");
    const second = await store.slice(posts, { owner }, { limit: 3, pageToken: first.nextPageToken });
    expect(second.rows.map((row) => row.k)).to.deep.equal(["10"]);
    expect(second.nextPageToken).to.equal(undefined);
    const exact = await store.slice(posts, { owner }, { limit: 4 });
    expect(exact.rows.map((row) => row.k)).to.deep.equal(["6", "7", "8", "10"]);
    expect(exact.nextPageToken).to.equal(undefined);
    await store.close();
  });
});
