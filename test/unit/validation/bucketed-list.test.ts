import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { SnowflakeGenerator, compareIds } from "../../../lib/ids";
import { LevelStore } from "../../../lib/store/level";
import { defineTable } from "../../../lib/store/schema";
import type { WideRowStore } from "../../../lib/store/store";
import { BucketedList, listBuckets } from "../../../lib/validation/bucketed-list";
import { MONTHLY, TimeBuckets, every } from "../../../lib/validation/time-buckets";
import { appErrorOf } from "../../support/rejections";

const items = defineTable({
  name: "bl_items",
  columns: { owner: "id", bucket: "int", item_id: "id", label: "text" },
  partitionKey: ["owner", "bucket"],
  clustering: [{ column: "item_id", order: "desc" }],
});

const oldestFirst = defineTable({
  name: "bl_items_asc",
  columns: { owner: "id", bucket: "int", item_id: "id" },
  partitionKey: ["owner", "bucket"],
  clustering: [{ column: "item_id", order: "asc" }],
});

/** Like a user's conversations: two ids place a row. */
const pairs = defineTable({
  name: "bl_pairs",
  columns: { owner: "id", bucket: "int", last_id: "id", thing_id: "id" },
  partitionKey: ["owner", "bucket"],
  clustering: [
    { column: "last_id", order: "desc" },
    { column: "thing_id", order: "desc" },
  ],
});

function newestList(name = "test_items", buckets = new TimeBuckets(MONTHLY), rowTtlSeconds?: number) {
  return new BucketedList({
    name,
    table: items,
    buckets,
    order: "newest-first",
    positionWidth: 1,
    partition: (owner, bucket) => ({ owner, bucket }),
    position: (row) => [row.item_id],
    at: ([itemId]) => ({ item_id: itemId }),
    ...(rowTtlSeconds !== undefined && { rowTtlSeconds }),
  });
}

const oldestList = new BucketedList({
  name: "test_items_asc",
  table: oldestFirst,
  buckets: new TimeBuckets(MONTHLY),
  order: "oldest-first",
  positionWidth: 1,
  partition: (owner, bucket) => ({ owner, bucket }),
  position: (row) => [row.item_id],
  at: ([itemId]) => ({ item_id: itemId }),
});

const pairList = new BucketedList({
  name: "test_pairs",
  table: pairs,
  buckets: new TimeBuckets(MONTHLY),
  order: "newest-first",
  positionWidth: 2,
  partition: (owner, bucket) => ({ owner, bucket }),
  position: (row) => [row.last_id, row.thing_id],
  at: ([lastId, thingId]) => ({ last_id: lastId, thing_id: thingId }),
});

/** Counts the store's calls by table, to hold walks to the buckets that hold something. */
function counting(store: WideRowStore): {
  store: WideRowStore;
  slices: Map<string, number>;
  puts: Map<string, number>;
} {
  const slices = new Map<string, number>();
  const puts = new Map<string, number>();
  const bump = (map: Map<string, number>, name: string) => map.set(name, (map.get(name) ?? 0) + 1);
  const slice: WideRowStore["slice"] = (table, ...rest) => {
    bump(slices, table.name);
    return store.slice(table, ...rest);
  };
  const put: WideRowStore["put"] = (table, ...rest) => {
    bump(puts, table.name);
    return store.put(table, ...rest);
  };
  const replaced: Partial<Record<PropertyKey, unknown>> = { slice, put };
  return {
    slices,
    puts,
    store: new Proxy(store, {
      get: (target, prop, receiver): unknown => replaced[prop] ?? Reflect.get(target, prop, receiver),
    }),
  };
}

async function everything(
  list: BucketedList<typeof items> | BucketedList<typeof oldestFirst>,
  store: WideRowStore,
  owner: string,
  limit: number,
  between?: () => Promise<void>,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await list.page(store, owner, { limit, cursor });
    expect(page.rows.length).to.be.at.most(limit);
    ids.push(...page.rows.map((r) => r.item_id));
    cursor = page.nextCursor ?? undefined;
    pages++;
    if (between) await between();
  } while (cursor !== undefined);
  return { ids, pages };
}

const desc = (ids: readonly string[]) => [...ids].sort((a, b) => compareIds(b, a));
const asc = (ids: readonly string[]) => [...ids].sort(compareIds);

describe("BucketedList: paging a list split into time buckets", () => {
  let dir: string;
  let level: LevelStore;
  let now: number;
  const clock = () => now;
  let owner: string;
  let worker = 0;

  /**
   * An id minted at `at` (ms), as a row written then would carry. A generator of its own each time (another
   * worker id, so ids stay unique), since tests move the clock back and forth.
   */
  const idAt = (at: number) => {
    now = at;
    worker = (worker + 1) % 1024;
    return new SnowflakeGenerator({ workerId: worker, now: clock }).next();
  };

  const JAN = Date.UTC(2025, 0, 10);
  const FEB = Date.UTC(2025, 1, 3);
  const JUL = Date.UTC(2025, 6, 20);
  const DEC = Date.UTC(2025, 11, 31, 23, 59, 59, 990);
  const MAR_2027 = Date.UTC(2027, 2, 1);

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-bucketed-"));
    level = new LevelStore({ path: path.join(dir, "db"), now: clock });
    await level.open([items, oldestFirst, pairs, listBuckets]);
    owner = await idAt(Date.UTC(2025, 0, 2));
  });
  afterEach(async () => {
    await level.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function add(list: BucketedList<typeof items>, store: WideRowStore, at: number): Promise<string> {
    const id = await idAt(at);
    await store.put(items, { ...(await list.writePartition(store, owner, id)), item_id: id, label: "x" });
    return id;
  }

  /** Items in Jan (2), Feb, Jul (3), the last ms of Dec, and Mar 2027: months between hold nothing. */
  async function seed(list: BucketedList<typeof items>, store: WideRowStore = level): Promise<string[]> {
    const at = [JAN, JAN + 1, FEB, JUL, JUL + 1000, JUL + 2000, DEC, MAR_2027];
    const written: string[] = [];
    for (const t of at) written.push(await add(list, store, t));
    return written;
  }

  it("pages newest first across month buckets, for every page size, with no repeats and no gaps", async () => {
    const list = newestList();
    const written = await seed(list);
    for (let limit = 1; limit <= 9; limit++) {
      const { ids: seen, pages } = await everything(list, level, owner, limit);
      expect(seen, `limit ${limit}`).to.deep.equal(desc(written));
      expect(pages, `limit ${limit}`).to.equal(Math.max(1, Math.ceil(written.length / limit)));
    }
  });

  it("keeps each month of items in its own partition", async () => {
    const list = newestList();
    const written = await seed(list);
    const july = await level.slice(items, { owner, bucket: Date.UTC(2025, 6, 1) });
    expect(july.rows.map((r) => r.item_id)).to.deep.equal(desc(written.slice(3, 6)));
    const december = await level.slice(items, { owner, bucket: Date.UTC(2025, 11, 1) });
    expect(december.rows.map((r) => r.item_id)).to.deep.equal([written[6]]);
    const index = await level.slice(listBuckets, { list: "test_items", owner_id: owner });
    expect(index.rows.map((r) => new Date(r.bucket).toISOString().slice(0, 7))).to.deep.equal([
      "2027-03",
      "2025-12",
      "2025-07",
      "2025-02",
      "2025-01",
    ]);
  });

  it("carries the bucket and the position in the cursor", async () => {
    const list = newestList();
    const written = await seed(list);
    const first = await list.page(level, owner, { limit: 4 });
    // Mar 2027, Dec, then two of July: the page ends inside July's bucket.
    expect(first.rows.map((r) => r.item_id)).to.deep.equal(desc(written).slice(0, 4));
    const decoded = Buffer.from(first.nextCursor!, "base64url").toString("utf8").split(".");
    expect(decoded.slice(0, 3)).to.deep.equal(["test_items", String(Date.UTC(2025, 6, 1)), written[4]]);
    expect(list.openCursor(owner, first.nextCursor!)).to.deep.equal([written[4]]);
  });

  it("reads only the buckets that hold items: an empty stretch of years costs nothing", async () => {
    const list = newestList();
    await seed(list);
    const spy = counting(level);
    const page = await list.page(spy.store, owner, { limit: 100 });
    expect(page.rows).to.have.length(8);
    expect(page.nextCursor).to.equal(null);
    // 27 months from Jan 2025 to Mar 2027, 5 of them with items: one index read and one read per such month.
    expect(spy.slices.get("bl_items")).to.equal(5);
    expect(spy.slices.get("list_buckets")).to.equal(1);

    // A page that fills in the newest bucket reads nothing older.
    const spy2 = counting(level);
    await list.page(spy2.store, owner, { limit: 1 });
    // One more row than the page is read to know whether more follow: it is found in December.
    expect(spy2.slices.get("bl_items")).to.equal(2);
  });

  it("writes a bucket to the index once per node, not once per item", async () => {
    const list = newestList();
    const spy = counting(level);
    await seed(list, spy.store);
    expect(spy.puts.get("list_buckets")).to.equal(5);
    expect(spy.puts.get("bl_items")).to.equal(8);
    // Another node (another list object, as another process would have) writes it again: an upsert, harmless.
    const other = counting(level);
    await add(newestList(), other.store, JUL + 3000);
    expect(other.puts.get("list_buckets")).to.equal(1);
  });

  it("neither repeats nor skips while items arrive, in new buckets and old ones, and others go", async () => {
    const list = newestList();
    const written = await seed(list);
    const arrived: string[] = [];
    let round = 0;
    const removed = written[0]!;
    let backfilled = "";
    const { ids: seen } = await everything(list, level, owner, 2, async () => {
      round++;
      // Newer than everything: ahead of the cursor, so it never shifts a page.
      arrived.push(await add(list, level, MAR_2027 + round * 40 * 24 * 3600_000));
      if (round === 1) {
        // The oldest item goes before the walk reaches it.
        await level.delete(items, { ...list.partitionOf(owner, removed), item_id: removed });
      }
      if (round === 2) {
        // An old item arrives behind the cursor (a backfill), in a month that had nothing: the walk reaches it.
        backfilled = await add(list, level, Date.UTC(2025, 3, 1));
      }
    });
    expect(backfilled).to.not.equal("");
    expect(seen).to.deep.equal(desc([...written.filter((id) => id !== removed), backfilled]));
    expect(new Set(seen).size).to.equal(seen.length);
    for (const id of arrived) expect(seen).to.not.include(id);
    // Read again from the top, everything that is there now, once.
    const { ids: again } = await everything(list, level, owner, 3);
    expect(again).to.deep.equal(desc([...written.filter((id) => id !== removed), backfilled, ...arrived]));
  });

  it("pages oldest first too, reaching items that arrive in buckets that did not exist when it started", async () => {
    const add = async (at: number) => {
      const id = await idAt(at);
      await level.put(oldestFirst, { ...(await oldestList.writePartition(level, owner, id)), item_id: id });
      return id;
    };
    const written: string[] = [];
    for (const t of [JAN, FEB, FEB + 1, JUL, DEC]) written.push(await add(t));
    let round = 0;
    const { ids: seen } = await everything(oldestList, level, owner, 2, async () => {
      round++;
      if (round <= 3) written.push(await add(MAR_2027 + round * 40 * 24 * 3600_000));
    });
    expect(seen).to.deep.equal(asc(written));
    expect(written).to.have.length(8);
  });

  it("answers nextCursor null exactly at the end, also when the last page ends on a bucket's last item", async () => {
    const list = newestList();
    const written = await seed(list);
    // Eight items: a page of eight is the whole list.
    expect((await list.page(level, owner, { limit: 8 })).nextCursor).to.equal(null);
    // A page of two ends on the oldest item of January's bucket only at the end.
    const pages: (string | null)[] = [];
    let cursor: string | undefined;
    do {
      const page = await list.page(level, owner, { limit: 2, cursor });
      pages.push(page.nextCursor);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(pages).to.have.length(written.length / 2);
    expect(pages[pages.length - 1]).to.equal(null);
  });

  it("walks between two positions, across buckets and within one", async () => {
    const list = newestList();
    const w = await seed(list);
    const newest = desc(w);
    // Strictly after the newest, strictly before (older than) the oldest but one: everything between.
    const between = await list.walk(level, owner, { after: [newest[0]!], until: [newest[6]!], limit: 100 });
    expect(between.rows.map((r) => r.item_id)).to.deep.equal(newest.slice(1, 6));
    expect(between.more).to.equal(false);
    const capped = await list.walk(level, owner, { until: [newest[6]!], limit: 2 });
    expect([capped.rows.map((r) => r.item_id), capped.more]).to.deep.equal([newest.slice(0, 2), true]);
    // Within July's bucket only.
    const july = await list.walk(level, owner, { after: [w[5]!], until: [w[3]!], limit: 10 });
    expect(july.rows.map((r) => r.item_id)).to.deep.equal([w[4]]);
    // `first` answers the same rows without reading past them.
    const spy = counting(level);
    const newestOnly = await list.first(spy.store, owner, { limit: 1 });
    expect(newestOnly.map((r) => r.item_id)).to.deep.equal([newest[0]]);
    expect(spy.slices.get("bl_items")).to.equal(1);
    const upTo = await list.first(level, owner, { after: [newest[0]!], until: [newest[6]!], limit: 100 });
    expect(upTo.map((r) => r.item_id)).to.deep.equal(newest.slice(1, 6));
    // A stop newer than the start: nothing.
    const none = await list.walk(level, owner, { after: [w[0]!], until: [w[7]!], limit: 10 });
    expect(none.rows).to.deep.equal([]);
  });

  it("pages a list placed by two ids (a conversation's last message and its id)", async () => {
    const put = async (at: number) => {
      const [last, thing] = [await idAt(at), await idAt(at)];
      await level.put(pairs, {
        ...(await pairList.writePartition(level, owner, last)),
        last_id: last,
        thing_id: thing,
      });
      return last;
    };
    const written: string[] = [];
    for (const t of [JAN, FEB, JUL, JUL + 1, DEC]) written.push(await put(t));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await pairList.page(level, owner, { limit: 2, cursor });
      seen.push(...page.rows.map((r) => r.last_id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).to.deep.equal(desc(written));
  });

  it("refuses a cursor of another list, of another owner's list, altered or made up, as a 400", async () => {
    const list = newestList();
    await seed(list);
    const other = newestList("test_other");
    const stranger = await idAt(JUL);
    await add(other, level, JUL);
    const cursor = (await list.page(level, owner, { limit: 3 })).nextCursor!;
    const bytes = Buffer.from(cursor, "base64url");
    bytes[bytes.length - 1]! ^= 1;
    const flipped = bytes.toString("base64url");
    const text = Buffer.from(cursor, "base64url").toString("utf8");
    const [name, bucket, position, mac] = text.split(".");
    const otherMonth = [name, String(Date.UTC(2025, 5, 1)), position, mac].join(".");
    const attempts = [
      () => other.page(level, owner, { limit: 3, cursor }),
      () => list.page(level, stranger, { limit: 3, cursor }),
      () => list.page(level, owner, { limit: 3, cursor: flipped }),
      () => list.page(level, owner, { limit: 3, cursor: Buffer.from(otherMonth).toString("base64url") }),
      () =>
        list.page(level, owner, {
          limit: 3,
          cursor: Buffer.from(`${name}.${bucket}.${position}`).toString("base64url"),
        }),
      () => list.page(level, owner, { limit: 3, cursor: "garbage" }),
      () => list.page(level, owner, { limit: 3, cursor: `${cursor}!` }),
      () => pairList.page(level, owner, { limit: 3, cursor }),
    ];
    for (const attempt of attempts) {
      const error = await appErrorOf(attempt());
      expect([error.status, error.code]).to.deep.equal([400, "INVALID_CURSOR"]);
    }
    expect(bucket).to.equal(String(Date.UTC(2025, 6, 1)));
  });

  it("pages tiny buckets (a test's 50 ms ones) the same way, and goes back to months when told", async () => {
    const buckets = new TimeBuckets(MONTHLY);
    const list = newestList("test_tiny", buckets);
    const restore = buckets.use(every(50));
    try {
      const written: string[] = [];
      // 40 items 35 ms apart: about 28 buckets, some with one item and some with two.
      for (let i = 0; i < 40; i++) written.push(await add(list, level, JUL + i * 35));
      const index = await level.slice(listBuckets, { list: "test_tiny", owner_id: owner }, { limit: 1000 });
      expect(index.rows.length).to.be.within(27, 29);
      for (const limit of [1, 3, 7, 40]) {
        expect((await everything(list, level, owner, limit)).ids, `limit ${limit}`).to.deep.equal(
          desc(written),
        );
      }
    } finally {
      restore();
    }
    expect(buckets.scheme).to.equal(MONTHLY);
    expect(list.bucketOf(await idAt(JUL + 35))).to.equal(Date.UTC(2025, 6, 1));
  });

  it("gives the index rows of expiring lists a life past their rows' longest", async () => {
    const list = newestList("test_expiring", new TimeBuckets(every(3600_000)), 600);
    await add(list, level, JUL);
    now = JUL + (600 + 3600 + 24 * 3600 - 5) * 1000;
    expect((await level.slice(listBuckets, { list: "test_expiring", owner_id: owner })).rows).to.have.length(
      1,
    );
    now += 10_000;
    expect((await level.slice(listBuckets, { list: "test_expiring", owner_id: owner })).rows).to.have.length(
      0,
    );
  });

  it("removes a whole list, bucket by bucket", async () => {
    const list = newestList();
    await seed(list);
    await list.removeAll(level, owner);
    expect((await list.page(level, owner, { limit: 100 })).rows).to.deep.equal([]);
  });

  it("refuses a list whose declared order does not match its table's", () => {
    expect(
      () =>
        new BucketedList({
          name: "wrong",
          table: oldestFirst,
          buckets: new TimeBuckets(MONTHLY),
          order: "newest-first",
          positionWidth: 1,
          partition: (owner, bucket) => ({ owner, bucket }),
          position: (row) => [row.item_id],
          at: ([itemId]) => ({ item_id: itemId }),
        }),
    ).to.throw(/newest-first/);
  });
});

describe("bucket schemes", () => {
  it("puts an instant in its UTC calendar month, or in its fixed window", () => {
    expect(MONTHLY.startOf(Date.UTC(2025, 1, 28, 23, 59, 59, 999))).to.equal(Date.UTC(2025, 1, 1));
    expect(MONTHLY.startOf(Date.UTC(2025, 2, 1))).to.equal(Date.UTC(2025, 2, 1));
    expect(MONTHLY.startOf(Date.UTC(2024, 11, 31, 12))).to.equal(Date.UTC(2024, 11, 1));
    expect(every(100).startOf(12_345)).to.equal(12_300);
    expect(every(3600_000).label).to.equal("hour");
    expect(() => every(0)).to.throw(RangeError);
  });
});
