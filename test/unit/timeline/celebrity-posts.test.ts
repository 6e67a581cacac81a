import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { SnowflakeGenerator } from "../../../lib/ids";
import { authorPosts, postTables, posts } from "../../../lib/posts/tables";
import { LevelStore } from "../../../lib/store/level";
import type { WideRowStore } from "../../../lib/store/store";
import { CelebrityPosts } from "../../../lib/timeline/celebrity-posts";

/** Counts the slices of post rows the store answers, to tell a shared list from a read per reader. */
function countingSlices(store: WideRowStore): { store: WideRowStore; slices: () => number } {
  let slices = 0;
  const slice: WideRowStore["slice"] = async (table, ...rest) => {
    if (table.name === posts.name) slices++;
    return store.slice(table, ...rest);
  };
  const replaced: Partial<Record<PropertyKey, unknown>> = { slice };
  return {
    slices: () => slices,
    store: new Proxy(store, {
      get: (target, prop, receiver): unknown => replaced[prop] ?? Reflect.get(target, prop, receiver),
    }),
  };
}

describe("CelebrityPosts", () => {
  let dir: string;
  let store: LevelStore;
  let clock = 0;
  const ids = new SnowflakeGenerator({ workerId: 902 });

  beforeEach(async () => {
    clock = 0;
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-celebrity-posts-"));
    store = new LevelStore({ path: path.join(dir, "db") });
    await store.open([...postTables]);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function publish(authorId: string, count: number): Promise<string[]> {
    const made: string[] = [];
    for (let i = 0; i < count; i++) {
      const postId = await ids.next();
      await store.put(posts, {
        ...(await authorPosts.writePartition(store, authorId, postId)),
        post_id: postId,
        caption: "",
      });
      made.push(postId);
    }
    return made.reverse();
  }

  it("serves many readers from one read of the author's partition until it is a second old", async () => {
    const author = await ids.next();
    const made = await publish(author, 5);
    const counted = countingSlices(store);
    const recent = new CelebrityPosts(counted.store, { window: 10, ttlMs: 1_000, now: () => clock });
    const pages = await Promise.all(Array.from({ length: 5 }, () => recent.page(author, { limit: 3 })));
    expect(counted.slices()).to.equal(1);
    for (const page of pages) expect(page.map((e) => e.postId)).to.deep.equal(made.slice(0, 3));

    const newer = await publish(author, 1);
    expect((await recent.page(author, { limit: 1 }))[0]?.postId).to.equal(made[0]);
    clock = 1_001;
    expect((await recent.page(author, { limit: 1 }))[0]).to.deep.equal({
      postId: newer[0],
      authorId: author,
    });
    expect(counted.slices()).to.equal(2);
  });

  it("reads the partition again once told the author posted", async () => {
    const author = await ids.next();
    await publish(author, 2);
    const recent = new CelebrityPosts(store, { window: 10, ttlMs: 60_000, now: () => clock });
    await recent.page(author, { limit: 5 });
    const newer = await publish(author, 1);
    recent.forget(author);
    expect((await recent.page(author, { limit: 1 }))[0]?.postId).to.equal(newer[0]);
  });

  it("pages past its window from the partition itself", async () => {
    const author = await ids.next();
    const made = await publish(author, 8);
    const recent = new CelebrityPosts(store, { window: 3, now: () => clock });
    const first = await recent.page(author, { limit: 3 });
    const rest = await recent.page(author, { limit: 10, before: first[2]!.postId });
    expect([...first, ...rest].map((e) => e.postId)).to.deep.equal(made);
    expect(await recent.page(author, { limit: 3, before: made[7]! })).to.deep.equal([]);
  });
});
