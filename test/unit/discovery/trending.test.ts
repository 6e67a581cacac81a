import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Snapshots } from "../../../lib/discovery/snapshots";
import { discoveryTables, tagHours } from "../../../lib/discovery/tables";
import { TagPages } from "../../../lib/discovery/tag-pages";
import { TagUses } from "../../../lib/discovery/tag-uses";
import { TrendingTags } from "../../../lib/discovery/trending";
import { EVERYONE_COUNTS } from "../../../lib/discovery/ports";
import { idAtTime } from "../../../lib/ids";
import type { ListedPost } from "../../../lib/posts/posts";
import { LevelStore } from "../../../lib/store/level";

const HOUR = 3_600_000;

describe("TrendingTags", () => {
  let dir: string;
  let store: LevelStore;
  let uses: TagUses;
  let pages: TagPages;
  let clock: number;
  let blocked: Map<string, string[]>;
  let suspended: Set<string>;
  /** Author → when their uses start to count (a new account's first day does not). */
  let countsFrom: Map<string, number>;
  let trending: TrendingTags;
  let sequence = 0;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-trending-"));
    store = new LevelStore({ path: path.join(dir, "db") });
    await store.open([...discoveryTables]);
    uses = new TagUses(store);
    pages = new TagPages(store);
    clock = Date.UTC(2026, 4, 10, 12, 30);
    blocked = new Map();
    suspended = new Set();
    countsFrom = new Map();
    trending = new TrendingTags({
      uses,
      counts: pages,
      snapshots: new Snapshots(store, () => clock),
      blocks: { blockedEitherWayIds: (userId) => Promise.resolve(blocked.get(userId) ?? []) },
      standing: {
        excluded: (ids) => Promise.resolve(new Set(ids.filter((id) => suspended.has(id)))),
        countsFrom: () => Promise.resolve(countsFrom),
      },
      settings: { minAuthors: 3, halfLifeMs: 6 * HOUR },
      now: () => clock,
    });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A post by `authorId` with the tags, made `hoursAgo` before the clock, listed where posts list it. */
  async function post(authorId: string, hoursAgo: number, ...hashtags: string[]): Promise<ListedPost> {
    const at = clock - hoursAgo * HOUR;
    const listed = {
      postId: (BigInt(idAtTime(at)) + BigInt(++sequence)).toString(),
      authorId,
      hashtags,
      createdAt: new Date(at),
    };
    await uses.listed(listed);
    await pages.listed(listed);
    return listed;
  }
  const top = async (viewerId = "1000") => (await trending.top(viewerId, 50)).map((t) => t.tag);

  it("trends a tag several people use; one account's fifty posts never", async () => {
    for (const author of ["1", "2", "3"]) await post(author, 0, "together");
    for (let i = 0; i < 50; i++) await post("9", 0, "spam");
    await trending.compute();
    expect(await top()).to.deep.equal(["together"]);
    expect(await trending.top("1000", 5)).to.deep.equal([{ tag: "together", postCount: 3 }]);
  });

  it("weighs a tag against its own week: its usual crowd does not trend, a newcomer with as many does", async () => {
    // "daily" has 4 people every hour of the week before the window; today too.
    for (let hoursAgo = 24; hoursAgo < 24 + 7 * 24; hoursAgo++) {
      for (const author of ["11", "12", "13", "14"]) await post(author, hoursAgo, "daily");
    }
    for (const author of ["11", "12", "13", "14"]) await post(author, 0, "daily");
    for (const author of ["21", "22", "23", "24"]) await post(author, 0, "fresh");
    await trending.compute();
    expect(await top()).to.deep.equal(["fresh"]);
  });

  it("lets a burst fade with its half-life, ranking the recent one first", async () => {
    for (const author of ["1", "2", "3"]) await post(author, 0, "now");
    for (const author of ["4", "5", "6"]) await post(author, 10, "earlier");
    await trending.compute();
    expect(await top()).to.deep.equal(["now", "earlier"]);
  });

  it("stops counting deleted posts and suspended authors on the next round, and leaves out a reader's blocks", async () => {
    const posts = [
      await post("1", 0, "x"),
      await post("2", 0, "x"),
      await post("3", 1, "x"),
      await post("4", 2, "x"),
    ];
    await trending.compute();
    expect(await top()).to.deep.equal(["x"]);
    blocked.set("1000", ["1", "2"]);
    expect(await top("1000")).to.deep.equal([]);
    expect(await top("1001")).to.deep.equal(["x"]);

    const gone = posts[3];
    if (gone === undefined) throw new Error("no post");
    await uses.unlisted(gone);
    suspended.add("3");
    await trending.compute();
    expect(await top("1001")).to.deep.equal([]);
  });

  it("gives a new account's uses no weight in its first day, and full weight after", async () => {
    // Three authors trend a tag; with one of them a day old only from an hour ago, two remain: under the minimum.
    for (const author of ["1", "2", "3"]) await post(author, 2, "fresh");
    countsFrom.set("3", clock - HOUR);
    expect((await trending.compute()).entries.map((e) => e.tag)).to.deep.equal([]);
    // Its day began before the hour of its post: the same uses count.
    countsFrom.set("3", clock - 3 * HOUR);
    expect((await trending.compute()).entries.map((e) => e.tag)).to.deep.equal(["fresh"]);
  });

  it("counts an hour again only when it changed since it was counted", async () => {
    for (const author of ["1", "2", "3"]) await post(author, 0, "y");
    await trending.compute();
    const day = Math.floor(clock / (24 * HOUR)) * 24 * HOUR;
    const [row] = (await store.slice(tagHours, { tag: "y", day })).rows;
    expect([row?.authors, row?.computed === row?.touched]).to.deep.equal([3, true]);
    await post("4", 0, "y");
    const [touched] = (await store.slice(tagHours, { tag: "y", day })).rows;
    expect(touched?.computed === touched?.touched).to.equal(false);
    await trending.compute();
    const [recounted] = (await store.slice(tagHours, { tag: "y", day })).rows;
    expect(recounted?.authors).to.equal(4);
  });

  it("answers the stored snapshot on another node", async () => {
    for (const author of ["1", "2", "3"]) await post(author, 0, "shared");
    await trending.compute();
    const other = new TrendingTags({
      uses,
      counts: pages,
      snapshots: new Snapshots(store, () => clock),
      blocks: { blockedEitherWayIds: () => Promise.resolve([]) },
      standing: EVERYONE_COUNTS,
      settings: { minAuthors: 3, halfLifeMs: 6 * HOUR },
      now: () => clock,
    });
    expect((await other.top("5", 10)).map((t) => t.tag)).to.deep.equal(["shared"]);
  });
});
