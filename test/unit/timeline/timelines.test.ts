import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { SnowflakeGenerator } from "../../../lib/ids";
import { LevelStore } from "../../../lib/store/level";
import type { WideRowStore } from "../../../lib/store/store";
import { homeTimeline, timeline, timelineTables } from "../../../lib/timeline/tables";
import { Timelines } from "../../../lib/timeline/timelines";

/**
 * Lets a test hold every slice of the store (after it has read) until it says so, and count finished batches, to
 * order a rebuild against a push.
 */
function withHeldSlices(store: WideRowStore): {
  store: WideRowStore;
  release: () => void;
  held: () => number;
  batches: () => number;
} {
  let waiting: (() => void)[] = [];
  let holding = true;
  let batches = 0;
  const slice: WideRowStore["slice"] = async (...args) => {
    const result = await store.slice(...args);
    if (holding) await new Promise<void>((resolve) => waiting.push(resolve));
    return result;
  };
  const batch: WideRowStore["batch"] = async (...args) => {
    await store.batch(...args);
    batches++;
  };
  const replaced: Partial<Record<PropertyKey, unknown>> = { slice, batch };
  return {
    batches: () => batches,
    store: new Proxy(store, {
      get: (target, prop, receiver): unknown => replaced[prop] ?? Reflect.get(target, prop, receiver),
    }),
    release: () => {
      holding = false;
      for (const resume of waiting) resume();
      waiting = [];
    },
    held: () => waiting.length,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A timeline row written straight to the store, as another node's push would. */
async function putRow(store: WideRowStore, userId: string, postId: string, authorId: string): Promise<void> {
  const partition = await homeTimeline.writePartition(store, userId, postId);
  await store.put(timeline, { ...partition, post_id: postId, author_id: authorId });
}

describe("Timelines", () => {
  let dir: string;
  let store: LevelStore;
  const ids = new SnowflakeGenerator({ workerId: 901 });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-timelines-"));
    store = new LevelStore({ path: path.join(dir, "db") });
    await store.open([...timelineTables]);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps an entry pushed while the owner was rebuilding the user's memory from the row", async () => {
    const [user, author, older, newer] = await Promise.all([ids.next(), ids.next(), ids.next(), ids.next()]);
    await putRow(store, user, older, author);
    const gate = withHeldSlices(store);
    const timelines = new Timelines(gate.store);

    // The rebuild reads the row (without the new entry), then the push writes it, then the rebuild finishes.
    const reading = timelines.page(user, { limit: 10 });
    while (gate.held() === 0) await tick();
    const pushing = timelines.push(user, [{ postId: newer, authorId: author }]);
    // Unless the owner makes the push wait for the rebuild, it writes now; give it every chance to.
    for (let i = 0; i < 50 && gate.batches() === 0; i++) await new Promise((r) => setTimeout(r, 2));
    gate.release();
    await Promise.all([reading, pushing]);

    const page = await timelines.page(user, { limit: 10 });
    expect(page.map((e) => e.postId)).to.deep.equal([newer, older]);
  });

  it("serves entries newest first, once each, and pages past the memory window from the row", async () => {
    const user = await ids.next();
    const author = await ids.next();
    const posts = await Promise.all(Array.from({ length: 8 }, () => ids.next()));
    const timelines = new Timelines(store, { window: 3, maxUsers: 10 });
    await timelines.page(user, { limit: 1 });
    await timelines.push(
      user,
      posts.slice(0, 5).map((postId) => ({ postId, authorId: author })),
    );
    await timelines.push(
      user,
      posts.map((postId) => ({ postId, authorId: author })),
    );

    const first = await timelines.page(user, { limit: 3 });
    const rest = await timelines.page(user, { limit: 10, before: first[2]!.postId });
    expect([...first, ...rest].map((e) => e.postId)).to.deep.equal([...posts].reverse());
  });

  it("merges pushes into the memory window in order, once each, whatever order and repeats they come in", async () => {
    const user = await ids.next();
    const author = await ids.next();
    const [p1, p2, p3, p4, p5, p6] = await Promise.all(Array.from({ length: 6 }, () => ids.next()));
    const entry = (postId: string | undefined) => ({ postId: postId!, authorId: author });
    const timelines = new Timelines(store, { window: 4, maxUsers: 10 });
    await timelines.page(user, { limit: 1 });
    await timelines.push(user, [entry(p2), entry(p4)]);
    await timelines.push(user, [entry(p3)]);
    await timelines.push(user, [entry(p6), entry(p6), entry(p1), entry(p4)]);
    // A row this owner never pushed: a page served from the window leaves it out.
    await putRow(store, user, p5!, author);

    const page = await timelines.page(user, { limit: 4 });
    expect(page.map((e) => e.postId)).to.deep.equal([p6, p4, p3, p2]);
  });

  it("keeps a month of posts per partition, and pages a timeline whose posts span years, backfills included", async () => {
    let now = Date.UTC(2025, 0, 5);
    const old = new SnowflakeGenerator({ workerId: 903, now: () => now });
    const at = async (ms: number) => {
      now = ms;
      return old.next();
    };
    const [user, author] = [await at(Date.UTC(2025, 0, 1)), await at(Date.UTC(2025, 0, 1))];
    const months = [0, 1, 5, 6, 14, 27].map((m) => Date.UTC(2025, m, 3));
    const posts: string[] = [];
    for (const ms of months) posts.push(await at(ms), await at(ms + 1));
    const timelines = new Timelines(store, { window: 4, maxUsers: 10 });
    // Fan-out pushes one post at a time; a new follow backfills a batch of old posts spread over months.
    for (const postId of posts.slice(6)) await timelines.push(user, [{ postId, authorId: author }]);
    await timelines.push(
      user,
      posts.slice(0, 6).map((postId) => ({ postId, authorId: author })),
    );
    for (const [i, ms] of months.entries()) {
      const bucket = homeTimeline.bucketOf(posts[2 * i]!);
      expect(bucket).to.equal(Date.UTC(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth(), 1));
      const rows = await store.slice(timeline, { user_id: user, bucket });
      expect(rows.rows.map((r) => r.post_id)).to.deep.equal([posts[2 * i + 1], posts[2 * i]]);
    }
    for (const limit of [1, 3, 5]) {
      const seen: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await timelines.page(user, { limit, ...(before !== undefined && { before }) });
        seen.push(...page.map((e) => e.postId));
        if (page.length < limit) break;
        before = page[page.length - 1]!.postId;
      }
      expect(seen, `limit ${limit}`).to.deep.equal([...posts].reverse());
    }
  });

  it("removes only the entries its confirmation still wants gone, in the user's mailbox", async () => {
    const [user, author] = [await ids.next(), await ids.next()];
    const [keep, drop] = [await ids.next(), await ids.next()];
    const timelines = new Timelines(store, { window: 10, maxUsers: 10 });
    await timelines.push(user, [
      { postId: keep, authorId: author },
      { postId: drop, authorId: author },
    ]);
    await timelines.remove(user, [keep, drop], (asked) => Promise.resolve(asked.filter((id) => id === drop)));
    expect((await timelines.page(user, { limit: 10 })).map((e) => e.postId)).to.deep.equal([keep]);
    const stored = await homeTimeline.walk(store, user, { limit: 10 });
    expect(stored.rows.map((r) => r.post_id)).to.deep.equal([keep]);
  });

  it("forgets users past its bound, least recently used first, and rebuilds them from the row", async () => {
    const author = await ids.next();
    const users = await Promise.all([ids.next(), ids.next(), ids.next()]);
    const timelines = new Timelines(store, { window: 10, maxUsers: 2 });
    for (const user of users) {
      await timelines.push(user, [{ postId: await ids.next(), authorId: author }]);
      await timelines.page(user, { limit: 5 });
    }
    expect(timelines.size).to.equal(2);
    const [first] = users;
    expect(await timelines.page(first, { limit: 5 })).to.have.length(1);
  });

  it("keeps no memory for a while after ownership moved, so pushes through the old owner are not missed", async () => {
    const [user, author, first, second] = await Promise.all([ids.next(), ids.next(), ids.next(), ids.next()]);
    let now = 1_000;
    const timelines = new Timelines(store, { window: 10, maxUsers: 10 }, () => now, 30_000);
    await timelines.push(user, [{ postId: first, authorId: author }]);
    await timelines.page(user, { limit: 5 });
    timelines.forgetAll();
    await timelines.page(user, { limit: 5 });
    // A node that has not seen the new ring yet writes straight to the row, past this node's memory.
    await putRow(store, user, second, author);
    expect((await timelines.page(user, { limit: 5 })).map((e) => e.postId)).to.deep.equal([second, first]);
    now += 30_001;
    expect(await timelines.page(user, { limit: 5 })).to.have.length(2);
    expect(timelines.size).to.equal(1);
  });
});
