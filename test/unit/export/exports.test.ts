import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { FsBlobStore } from "../../../lib/blobs/fs";
import { Exports } from "../../../lib/export/exports";
import { exportActive, exportJobs, exportTables } from "../../../lib/export/tables";
import { idAtTime } from "../../../lib/ids";
import { LevelStore } from "../../../lib/store/level";

describe("Exports.start", () => {
  let dir: string;
  let store: LevelStore;
  let blobs: FsBlobStore;
  const now = Date.parse("2026-12-01T00:00:00Z");
  /** The ids the generator hands out, in the order it hands them out. */
  let drawn: string[];
  const at = (ms: number) => idAtTime(now + ms);

  const exportsOf = () =>
    new Exports({
      store,
      blobs,
      ids: {
        next: () => {
          const id = drawn.shift();
          return id === undefined ? Promise.reject(new Error("no id left")) : Promise.resolve(id);
        },
      },
      media: { find: () => Promise.resolve(undefined) },
      holder: "node-a",
      downloadUrlOf: (key) => Promise.resolve(`/exports/${key}`),
      now: () => now,
    });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-exports-"));
    store = new LevelStore({ path: path.join(dir, "db"), now: () => now });
    await store.open([...exportTables]);
    blobs = new FsBlobStore({ root: path.join(dir, "blobs") });
    drawn = [];
  });

  afterEach(async () => {
    await blobs.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("draws a newer id when its first is older than a job made meanwhile, so the new job is the latest", async () => {
    // Another request drew its id later, took the lock first and finished its whole archive.
    await store.put(exportJobs, {
      user_id: "7",
      export_id: at(-1_000),
      state: "ready",
      done: 3,
      total: 3,
      created_at: new Date(now - 1_000),
    });
    drawn = [at(-2_000), at(0)];
    const exports = exportsOf();
    const started = await exports.start("7");
    expect(started.id).to.equal(at(0));
    expect((await exports.latest("7")).id).to.equal(at(0));
    expect((await exports.latest("7")).state).to.equal("queued");
    expect((await store.get(exportActive, { user_id: "7" }))?.export_id).to.equal(at(0));
  });

  it("refuses a second job while one is queued, and clears a lock a crash left a minute ago", async () => {
    drawn = [at(0), at(1)];
    const exports = exportsOf();
    await exports.start("7");
    const refused = await exports.start("7").catch((err: unknown) => err);
    expect(refused).to.have.property("code", "EXPORT_IN_PROGRESS");

    // A lock whose job row never came, taken two minutes ago.
    await store.insertIfAbsent(exportActive, { user_id: "8", export_id: at(-120_000) });
    drawn = [at(2), at(3)];
    expect((await exports.start("8")).id).to.equal(at(3));
  });
});
