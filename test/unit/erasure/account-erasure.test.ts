import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { AccountErasure, ErasureSchedule, erasureTables, type ErasureStep } from "../../../lib/erasure";
import { ERASURE_STEPS } from "../../../lib/erasure/params";
import { erasureLeases } from "../../../lib/erasure/tables";
import { LevelStore } from "../../../lib/store/level";

describe("AccountErasure", () => {
  let dir: string;
  let store: LevelStore;
  let now = Date.parse("2026-12-01T00:00:00Z");
  let due: Set<string>;
  /** Every step call made, as `step:cursor`. */
  let calls: string[];
  /** Calls each step needs before it is done. */
  const pagesPerStep = 3;
  /** Throws on this call (counting from 1), as a node dying mid-way would stop. */
  let failOn: number | undefined;

  const erasure = (holder = "node-a") =>
    new AccountErasure({
      store,
      schedule: new ErasureSchedule(store, () => now),
      runStep: (step: ErasureStep, _userId: string, cursor?: string) => {
        calls.push(`${step}:${cursor ?? ""}`);
        if (failOn !== undefined && calls.length === failOn) return Promise.reject(new Error("node died"));
        const page = cursor === undefined ? 1 : Number(cursor) + 1;
        return Promise.resolve(page >= pagesPerStep ? { done: true } : { done: false, cursor: String(page) });
      },
      holder,
      now: () => now,
      isDue: (userId) => Promise.resolve(due.has(userId)),
    });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-erasure-"));
    store = new LevelStore({ path: path.join(dir, "db"), now: () => now });
    await store.open([...erasureTables]);
    due = new Set();
    calls = [];
    failOn = undefined;
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const everyCall = ERASURE_STEPS.flatMap((step) => [`${step}:`, `${step}:1`, `${step}:2`]);

  it("runs every step in order, page by page, each from where its last call left it", async () => {
    expect(await erasure().erase("42")).to.equal(true);
    expect(calls).to.deep.equal(everyCall);
  });

  it("goes on after a crash from the step and position it recorded, not from the start", async () => {
    failOn = 14;
    await erasure()
      .erase("42")
      .then(
        () => expect.fail("the erasure should have stopped"),
        (err: unknown) => expect((err as Error).message).to.equal("node died"),
      );
    const before = calls.length;
    failOn = undefined;
    expect(await erasure("node-b").erase("42")).to.equal(true);
    const resumed = calls.slice(before);
    // The call that failed is made again, then the rest; nothing before it is.
    expect(resumed).to.deep.equal(everyCall.slice(13));
  });

  it("is one node's at a time: another node leaves an erasure held by a live lease", async () => {
    failOn = 2;
    await erasure()
      .erase("42")
      .catch(() => undefined);
    // node-a let its lease go when it stopped; hold it again as a live node-a would.
    await store.insertIfAbsent(erasureLeases, { user_id: "42", holder: "node-a" }, { ttlSeconds: 60 });
    failOn = undefined;
    expect(await erasure("node-b").erase("42")).to.equal(false);
    now += 61_000;
    expect(await erasure("node-b").erase("42")).to.equal(true);
  });

  it("sweeps only accounts due now whose row still says so, and drops the others from the line", async () => {
    const schedule = new ErasureSchedule(store, () => now);
    await schedule.schedule("1001", new Date(now - 1_000));
    await schedule.schedule("1002", new Date(now - 1_000));
    await schedule.schedule("1003", new Date(now + 3_600_000));
    due.add("1001");
    expect(await erasure().sweep()).to.equal(1);
    // 1002 was taken back (its row no longer says deleted): out of the line, never erased.
    expect((await schedule.due(10)).map((d) => d.userId)).to.deep.equal([]);
    expect(calls.filter((c) => c === "timeline:")).to.have.length(1);
    now += 2 * 3_600_000;
    due.add("1003");
    expect(await erasure().sweep()).to.equal(1);
  });
});
