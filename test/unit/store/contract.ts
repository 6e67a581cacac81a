import { rejectionOf } from "../../support/rejections";

export { rejectionOf };
/**
 * The behaviour every WideRowStore adapter must show. The embedded adapter runs it with a controllable clock, a
 * Cassandra adapter against a real cluster, so it only asks for what Cassandra can do too, and it is re-runnable on
 * a store that already holds data: every test works in fresh random partitions.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import { ConditionalTableError, InvalidPageTokenError, StoreClosedError } from "../../../lib/store/errors";
import { defineTable } from "../../../lib/store/schema";
import type { ClusteringOrder } from "../../../lib/store/schema";
import type { SliceOptions, WideRowStore } from "../../../lib/store/store";

export interface ContractClock {
  advance(ms: number): void;
}

export interface ContractSetup {
  /** A fresh store, not yet open: the suite opens it with its own tables. */
  store: WideRowStore;
  /** A clock the store reads, or undefined for a backend whose time only passes for real. */
  clock: ContractClock | undefined;
  /** Releases the store; the store may already be closed by the test. */
  teardown(): Promise<void>;
}

const notes = defineTable({
  name: "contract_notes",
  columns: { owner: "id", k: "id", title: "text", body: "text", views: "int" },
  partitionKey: ["owner"],
  clustering: [{ column: "k", order: "asc" }],
});

/** Keys of every type in both the partition and the clustering, and values of every type. */
const allTypes = defineTable({
  name: "contract_all_types",
  columns: {
    owner: "id",
    region: "text",
    rank: "int",
    flag: "boolean",
    at: "timestamp",
    tag: "blob",
    ref: "id",
    title: "text",
    score: "int",
    active: "boolean",
    seen: "timestamp",
    payload: "blob",
  },
  partitionKey: ["owner", "region"],
  clustering: [
    { column: "rank", order: "asc" },
    { column: "flag", order: "desc" },
    { column: "at", order: "asc" },
    { column: "tag", order: "desc" },
  ],
});

function sortedTable<const N extends string>(name: N, type: "id" | "text", order: ClusteringOrder) {
  return defineTable({
    name,
    columns: { owner: "id", k: type, body: "text" },
    partitionKey: ["owner"],
    clustering: [{ column: "k", order }],
  });
}

const idsAsc = sortedTable("contract_ids_asc", "id", "asc");
const idsDesc = sortedTable("contract_ids_desc", "id", "desc");
const textsAsc = sortedTable("contract_texts_asc", "text", "asc");
const textsDesc = sortedTable("contract_texts_desc", "text", "desc");
type SortedTable = typeof idsAsc;

const twoLevel = defineTable({
  name: "contract_two_level",
  columns: { owner: "id", day: "int", seq: "id", body: "text" },
  partitionKey: ["owner"],
  clustering: [
    { column: "day", order: "asc" },
    { column: "seq", order: "asc" },
  ],
});

const mixedOrder = defineTable({
  name: "contract_mixed_order",
  columns: { owner: "id", day: "int", seq: "id", body: "text" },
  partitionKey: ["owner"],
  clustering: [
    { column: "day", order: "asc" },
    { column: "seq", order: "desc" },
  ],
});

/** No clustering: one row per partition, the shape of a uniqueness claim (a handle, an email). */
const handles = defineTable({
  name: "contract_handles",
  columns: { handle: "text", owner: "id", claimed: "timestamp" },
  partitionKey: ["handle"],
  conditional: true,
});

const TTL_SECONDS = 2;

const expiring = defineTable({
  name: "contract_expiring",
  columns: { owner: "id", k: "id", title: "text" },
  partitionKey: ["owner"],
  clustering: [{ column: "k", order: "asc" }],
  ttlSeconds: TTL_SECONDS,
});

const counters = defineTable({
  name: "contract_counters",
  columns: { owner: "id", k: "text", likes: "counter", views: "counter" },
  partitionKey: ["owner"],
  clustering: [{ column: "k", order: "asc" }],
  counter: true,
});

/** Scanned whole: its own table, since a real backend keeps other tests' rows in the shared ones. */
const scanned = defineTable({
  name: "contract_scanned",
  columns: { owner: "id", k: "id", body: "text" },
  partitionKey: ["owner"],
  clustering: [{ column: "k", order: "asc" }],
});

const contractTables = [
  scanned,
  notes,
  allTypes,
  idsAsc,
  idsDesc,
  textsAsc,
  textsDesc,
  twoLevel,
  mixedOrder,
  handles,
  expiring,
  counters,
];

/** Numeric order matters: "10" sorts after "5" as an id, before it as a string. */
const ID_VALUES = ["5", "10", "42", "100", "9000", "1234567890123456789", "9223372036854775807"];
const ID_PROBES = ["0", "5", "7", "42", "9223372036854775807"];
/** Sorted by UTF-8 bytes, as Cassandra sorts text: "\uffff" before the emoji, unlike JavaScript's `<`. */
const TEXT_VALUES = ["A", "B", "a", "a\u0000b", "a\u0001", "ab", "b", "é", "\uffff", "😀"];
const TEXT_PROBES = ["A", "a\u0000", "aa", "zz", "😀"];

const compareIds = (a: string, b: string): number =>
  BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
const compareTexts = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

interface SortedCase {
  table: SortedTable;
  values: readonly string[];
  probes: readonly string[];
  compare: (a: string, b: string) => number;
  order: ClusteringOrder;
}

const sortedCases: SortedCase[] = [
  { table: idsAsc, values: ID_VALUES, probes: ID_PROBES, compare: compareIds, order: "asc" },
  { table: idsDesc, values: ID_VALUES, probes: ID_PROBES, compare: compareIds, order: "desc" },
  { table: textsAsc, values: TEXT_VALUES, probes: TEXT_PROBES, compare: compareTexts, order: "asc" },
  { table: textsDesc, values: TEXT_VALUES, probes: TEXT_PROBES, compare: compareTexts, order: "desc" },
];

const BOUND_TESTS = {
  gt: (c: number) => c > 0,
  gte: (c: number) => c >= 0,
  lt: (c: number) => c < 0,
  lte: (c: number) => c <= 0,
} as const;

/** A random id below 2^63, so reruns on a non-empty store never meet old partitions. */
export function randomId(): string {
  return (randomBytes(8).readBigUInt64BE() >> 1n).toString();
}

/** Resolves to what the promise rejected with; fails if it resolved. */

function alterMiddle(token: string): string {
  const at = Math.floor(token.length / 2);
  return `${token.slice(0, at)}${token[at] === "A" ? "B" : "A"}${token.slice(at + 1)}`;
}

export function describeStoreContract(adapterName: string, setup: () => Promise<ContractSetup>): void {
  describe(`WideRowStore contract: ${adapterName}`, function () {
    let current: ContractSetup | undefined;
    let store: WideRowStore;
    let clock: ContractClock | undefined;

    beforeEach(async function () {
      current = await setup();
      ({ store, clock } = current);
      await store.open(contractTables);
    });

    afterEach(async function () {
      await current?.teardown();
      current = undefined;
    });

    async function pass(ms: number): Promise<void> {
      if (clock === undefined) await sleep(ms);
      else clock.advance(ms);
    }

    /** Past the TTL: a fake clock needs a millisecond, a real backend a margin for its second granularity. */
    async function outlive(ttlSeconds: number): Promise<void> {
      await pass(ttlSeconds * 1000 + (clock === undefined ? 1500 : 1));
    }

    async function keysOf(table: SortedTable, owner: string, options: SliceOptions<SortedTable> = {}) {
      const { rows } = await store.slice(table, { owner }, options);
      return rows.map((row) => row.k);
    }

    describe("rows", function () {
      it("round-trips every column type, in keys and in values", async function () {
        const partition = { owner: randomId(), region: `eu-${randomId()} ✓ \u0000\u0001` };
        const row = {
          ...partition,
          rank: -42,
          flag: true,
          at: new Date(-86_400_000),
          tag: Buffer.from([0x00, 0x01, 0xff, 0x00]),
          ref: "9223372036854775807",
          title: "héllo \u0000 wörld 😀",
          score: Number.MIN_SAFE_INTEGER,
          active: false,
          seen: new Date("2031-05-06T07:08:09.123Z"),
          payload: Buffer.from([0xff, 0x00, 0x01, 0x02]),
        };
        await store.put(allTypes, row);
        const key = { ...partition, rank: -42, flag: true, at: new Date(-86_400_000), tag: row.tag };
        expect(await store.get(allTypes, key)).to.deep.equal(row);
        const { rows } = await store.slice(allTypes, partition);
        expect(rows).to.deep.equal([row]);
      });

      it("sorts rows by every clustering column in its declared order", async function () {
        const partition = { owner: randomId(), region: "r" };
        const key = (rank: number, flag: boolean, at: number, tag: number[]) => ({
          ...partition,
          rank,
          flag,
          at: new Date(at),
          tag: Buffer.from(tag),
        });
        const sorted = [
          key(-5, true, 0, [1]),
          key(-5, false, -1, [2]),
          key(-5, false, 7, [0xff]),
          key(-5, false, 7, [1, 0]),
          key(-5, false, 7, [1]),
          key(-5, false, 7, []),
          key(0, true, 3, [0]),
          key(12, false, 0, [0]),
        ];
        for (const row of [...sorted].reverse()) await store.put(allTypes, row);
        const { rows } = await store.slice(allTypes, partition);
        expect(rows).to.deep.equal(sorted);
      });

      it("answers undefined for a row never written", async function () {
        expect(await store.get(notes, { owner: randomId(), k: "1" })).to.equal(undefined);
      });

      it("keeps a row that has only its key", async function () {
        const owner = randomId();
        await store.put(notes, { owner, k: "1" });
        expect(await store.get(notes, { owner, k: "1" })).to.deep.equal({ owner, k: "1" });
      });

      it("upserts: a put changes the columns it names and keeps the others", async function () {
        const owner = randomId();
        await store.put(notes, { owner, k: "1", title: "first", body: "text", views: 3 });
        await store.put(notes, { owner, k: "1", title: "second" });
        expect(await store.get(notes, { owner, k: "1" })).to.deep.equal({
          owner,
          k: "1",
          title: "second",
          body: "text",
          views: 3,
        });
      });

      it("deletes one row and leaves its neighbours", async function () {
        const owner = randomId();
        await store.put(notes, { owner, k: "1", title: "a" });
        await store.put(notes, { owner, k: "2", title: "b" });
        await store.delete(notes, { owner, k: "1" });
        expect(await store.get(notes, { owner, k: "1" })).to.equal(undefined);
        expect((await store.slice(notes, { owner })).rows).to.deep.equal([{ owner, k: "2", title: "b" }]);
        await store.delete(notes, { owner, k: "99" });
      });

      it("writes a deleted row afresh, without its old columns", async function () {
        const owner = randomId();
        await store.put(notes, { owner, k: "1", title: "a", body: "old" });
        await store.delete(notes, { owner, k: "1" });
        await store.put(notes, { owner, k: "1", title: "b" });
        expect(await store.get(notes, { owner, k: "1" })).to.deep.equal({ owner, k: "1", title: "b" });
      });

      it("rejects a write missing a key column, or with a mistyped or unknown column, with TypeError", async function () {
        const owner = randomId();
        const cases: [unknown, string][] = [
          [{ owner }, "k"],
          [{ owner, k: "1", title: 5 }, "title"],
          [{ owner, k: "1", views: 1.5 }, "views"],
          [{ owner, k: "12abc" }, "k"],
          [{ owner: "-1", k: "1" }, "owner"],
          [{ owner, k: "9223372036854775808" }, "k"],
          [{ owner, k: "1", nope: "x" }, "nope"],
        ];
        for (const [row, column] of cases) {
          const error = await rejectionOf(store.put(notes, row as { owner: string; k: string }));
          expect(error, column).to.be.instanceOf(TypeError);
          expect((error as TypeError).message, column).to.include(column);
        }
        expect((await store.slice(notes, { owner })).rows).to.deep.equal([]);
      });
    });

    describe("slice order and bounds", function () {
      for (const c of sortedCases) {
        const name = c.table.name;
        const inTableOrder = (values: readonly string[]) =>
          [...values].sort((a, b) => (c.order === "asc" ? c.compare(a, b) : c.compare(b, a)));

        async function fill(): Promise<string> {
          const owner = randomId();
          for (const k of c.values) await store.put(c.table, { owner, k, body: `body ${k}` });
          return owner;
        }

        it(`${name}: reads in declared order, and reversed`, async function () {
          const owner = await fill();
          const { rows } = await store.slice(c.table, { owner });
          expect(rows.map((row) => row.k)).to.deep.equal(inTableOrder(c.values));
          expect(rows[0]).to.deep.equal({ owner, k: rows[0]?.k, body: `body ${rows[0]?.k}` });
          expect(await keysOf(c.table, owner, { reverse: true })).to.deep.equal(
            inTableOrder(c.values).reverse(),
          );
        });

        for (const [kind, keep] of Object.entries(BOUND_TESTS)) {
          it(`${name}: ${kind} compares values, whatever the order`, async function () {
            const owner = await fill();
            for (const probe of c.probes) {
              const expected = inTableOrder(c.values.filter((v) => keep(c.compare(v, probe))));
              const bound = { [kind]: { k: probe } };
              expect(await keysOf(c.table, owner, bound), `${kind} ${probe}`).to.deep.equal(expected);
              expect(
                await keysOf(c.table, owner, { ...bound, reverse: true }),
                `${kind} ${probe}`,
              ).to.deep.equal(expected.reverse());
            }
          });
        }

        it(`${name}: combines a lower and an upper bound`, async function () {
          const owner = await fill();
          const [low, high] = [c.values[1] ?? "", c.values[5] ?? ""];
          const inside = (v: string, lowOk: boolean, highOk: boolean) =>
            (lowOk ? c.compare(v, low) >= 0 : c.compare(v, low) > 0) &&
            (highOk ? c.compare(v, high) <= 0 : c.compare(v, high) < 0);
          const range = inTableOrder(c.values.filter((v) => inside(v, true, false)));
          expect(await keysOf(c.table, owner, { gte: { k: low }, lt: { k: high } })).to.deep.equal(range);
          const open = inTableOrder(c.values.filter((v) => inside(v, false, true)));
          expect(
            await keysOf(c.table, owner, { gt: { k: low }, lte: { k: high }, reverse: true }),
          ).to.deep.equal(open.reverse());
          expect(await keysOf(c.table, owner, { gt: { k: high }, lt: { k: low } })).to.deep.equal([]);
        });
      }

      async function fillDays(table: typeof twoLevel | typeof mixedOrder): Promise<string> {
        const owner = randomId();
        for (const day of [-1, 0, 1, 2]) {
          for (const seq of ["1", "2", "3"]) {
            await store.put(table, { owner, day, seq, body: `${day}/${seq}` });
          }
        }
        return owner;
      }

      const pairs = (rows: { day: number; seq: string }[]) => rows.map((row) => `${row.day}/${row.seq}`);

      it("bounds a prefix of a two-column clustering", async function () {
        const owner = await fillDays(twoLevel);
        const slice = async (options: SliceOptions<typeof twoLevel>) =>
          pairs((await store.slice(twoLevel, { owner }, options)).rows);
        expect(await slice({ gte: { day: 0 }, lt: { day: 2 } })).to.deep.equal([
          "0/1",
          "0/2",
          "0/3",
          "1/1",
          "1/2",
          "1/3",
        ]);
        expect(await slice({ gt: { day: 0, seq: "2" }, lte: { day: 1 } })).to.deep.equal([
          "0/3",
          "1/1",
          "1/2",
          "1/3",
        ]);
        expect(await slice({ lte: { day: 0, seq: "2" } })).to.deep.equal([
          "-1/1",
          "-1/2",
          "-1/3",
          "0/1",
          "0/2",
        ]);
        expect(await slice({ gt: { day: 1 } })).to.deep.equal(["2/1", "2/2", "2/3"]);
        expect(await slice({ gte: { day: 0, seq: "2" }, lt: { day: 0, seq: "3" } })).to.deep.equal(["0/2"]);
      });

      it("bounds the leading column of a mixed-order clustering and keeps each column's order", async function () {
        const owner = await fillDays(mixedOrder);
        const { rows } = await store.slice(mixedOrder, { owner }, { gte: { day: 0 }, lt: { day: 2 } });
        expect(pairs(rows)).to.deep.equal(["0/3", "0/2", "0/1", "1/3", "1/2", "1/1"]);
        const reversed = await store.slice(mixedOrder, { owner }, { gt: { day: 0 }, reverse: true });
        expect(pairs(reversed.rows)).to.deep.equal(["2/1", "2/2", "2/3", "1/1", "1/2", "1/3"]);
      });

      it("rejects a bound that is not a prefix, mixes orders, or doubles an end", async function () {
        const owner = await fillDays(mixedOrder);
        const bad = [
          store.slice(twoLevel, { owner }, { gt: { seq: "1" } }),
          store.slice(mixedOrder, { owner }, { gt: { day: 0, seq: "1" } }),
          store.slice(twoLevel, { owner }, { gt: { day: 0 }, gte: { day: 1 } }),
          store.slice(twoLevel, { owner }, { lt: { day: 0 }, lte: { day: 1 } }),
        ];
        for (const attempt of bad) expect(await rejectionOf(attempt)).to.be.instanceOf(Error);
      });
    });

    describe("limits and paging", function () {
      async function fillIds(table: SortedTable, count: number): Promise<string> {
        const owner = randomId();
        await store.batch(
          table,
          { owner },
          Array.from({ length: count }, (_, i) => ({
            op: "put" as const,
            row: { owner, k: String((i + 1) * 10) },
          })),
        );
        return owner;
      }

      it("returns at most limit rows, 100 by default, and a token when more follow", async function () {
        const owner = await fillIds(idsAsc, 105);
        const first = await store.slice(idsAsc, { owner });
        expect(first.rows).to.have.length(100);
        expect(first.nextPageToken).to.be.a("string");
        const one = await store.slice(idsAsc, { owner }, { limit: 1 });
        expect(one.rows.map((row) => row.k)).to.deep.equal(["10"]);
        const all = await store.slice(idsAsc, { owner }, { limit: 1000 });
        expect(all.rows).to.have.length(105);
        expect(all.nextPageToken).to.equal(undefined);
      });

      it("scans a whole table a page at a time: every live row once, across partitions", async function () {
        const owners = [randomId(), randomId(), randomId()];
        const written = new Set<string>();
        for (const [i, owner] of owners.entries()) {
          for (let k = 1; k <= 4 + i; k++) {
            await store.put(scanned, { owner, k: String(k), body: `${owner}/${k}` });
            written.add(`${owner}/${k}`);
          }
        }
        await store.delete(scanned, { owner: owners[0] ?? "", k: "1" });
        written.delete(`${owners[0]}/1`);
        const seen: string[] = [];
        let pageToken: string | undefined;
        let pages = 0;
        do {
          const page = await store.scan(scanned, { limit: 2, ...(pageToken !== undefined && { pageToken }) });
          expect(page.rows.length).to.be.at.most(2);
          for (const row of page.rows) {
            if (owners.includes(row.owner)) seen.push(`${row.owner}/${row.k}`);
            if (owners.includes(row.owner)) expect(row.body).to.equal(`${row.owner}/${row.k}`);
          }
          pageToken = page.nextPageToken;
          pages++;
        } while (pageToken !== undefined && pages < 10_000);
        expect(seen).to.have.length(written.size);
        expect(new Set(seen)).to.deep.equal(written);
        expect(await rejectionOf(store.scan(scanned, { pageToken: "garbage" }))).to.be.instanceOf(
          InvalidPageTokenError,
        );
      });

      it("rejects a limit outside 1..1000 with RangeError", async function () {
        const owner = randomId();
        for (const limit of [0, -1, 1001, 2.5, Number.NaN]) {
          expect(
            await rejectionOf(store.slice(idsAsc, { owner }, { limit })),
            String(limit),
          ).to.be.instanceOf(RangeError);
        }
      });

      it("gives no token for an empty partition or a short page", async function () {
        expect((await store.slice(idsAsc, { owner: randomId() })).nextPageToken).to.equal(undefined);
        const owner = await fillIds(idsAsc, 3);
        expect((await store.slice(idsAsc, { owner }, { limit: 5 })).nextPageToken).to.equal(undefined);
      });

      for (const [table, reverse] of [
        [idsAsc, false],
        [idsDesc, false],
        [idsAsc, true],
      ] as const) {
        it(`${table.name}${reverse ? " reversed" : ""}: pages through every row once, in order`, async function () {
          const owner = await fillIds(table, 23);
          const expected = await keysOf(table, owner, { reverse, limit: 1000 });
          const seen: string[] = [];
          let pageToken: string | undefined;
          for (let page = 0; page < 20; page += 1) {
            const limit = page % 2 === 0 ? 5 : 4;
            const result = await store.slice(table, { owner }, { reverse, limit, pageToken });
            seen.push(...result.rows.map((row) => row.k));
            if (result.rows.length < limit) expect(result.nextPageToken).to.equal(undefined);
            pageToken = result.nextPageToken;
            if (pageToken === undefined) break;
          }
          expect(pageToken).to.equal(undefined);
          expect(seen).to.deep.equal(expected);
        });

        it(`${table.name}${reverse ? " reversed" : ""}: paging while rows arrive neither repeats nor skips`, async function () {
          const owner = await fillIds(table, 20);
          const original = await keysOf(table, owner, { reverse, limit: 1000 });
          const ascending = (table === idsAsc) !== reverse;
          const [behind, ahead, atEnd] = ascending ? ["5", "55", "205"] : ["205", "155", "5"];
          const seen: string[] = [];
          let pageToken: string | undefined;
          for (let page = 0; page < 50; page += 1) {
            // Writes race with the read; wherever they land, the rows that existed must each come back once.
            const [result] = await Promise.all([
              store.slice(table, { owner }, { reverse, limit: 5, pageToken }),
              store.put(table, { owner, k: String(1_000 + page * 7) }),
            ]);
            seen.push(...result.rows.map((row) => row.k));
            if (page === 0) {
              for (const k of [behind, ahead, atEnd]) await store.put(table, { owner, k });
            }
            pageToken = result.nextPageToken;
            if (pageToken === undefined) break;
          }
          expect(new Set(seen).size, "no row repeats").to.equal(seen.length);
          for (const k of original) expect(seen, "no row is skipped").to.include(k);
          const sorted = [...seen].sort(ascending ? compareIds : (a, b) => compareIds(b, a));
          expect(seen, "rows come in order").to.deep.equal(sorted);
          expect(seen).to.include(ahead).and.include(atEnd).and.not.include(behind);
        });
      }

      it("accepts a token with another page size", async function () {
        const owner = await fillIds(idsAsc, 10);
        const first = await store.slice(idsAsc, { owner }, { limit: 3 });
        const second = await store.slice(idsAsc, { owner }, { limit: 6, pageToken: first.nextPageToken });
        expect(second.rows.map((row) => row.k)).to.deep.equal(["40", "50", "60", "70", "80", "90"]);
      });

      it("rejects garbage, altered and foreign tokens with InvalidPageTokenError", async function () {
        const owner = await fillIds(idsAsc, 10);
        const query = { gte: { k: "20" }, limit: 3 };
        const { nextPageToken } = await store.slice(idsAsc, { owner }, query);
        const token = nextPageToken ?? "";
        expect(token).to.not.equal("");
        const other = await fillIds(idsAsc, 10);
        await fillIds(idsDesc, 10);
        const attempts = [
          store.slice(idsAsc, { owner }, { ...query, pageToken: "not a token!" }),
          store.slice(idsAsc, { owner }, { ...query, pageToken: randomBytes(24).toString("base64url") }),
          store.slice(idsAsc, { owner }, { ...query, pageToken: alterMiddle(token) }),
          store.slice(idsAsc, { owner }, { ...query, pageToken: `${token}AAAA` }),
          store.slice(idsAsc, { owner }, { ...query, pageToken: token.slice(0, -4) }),
          store.slice(idsAsc, { owner: other }, { ...query, pageToken: token }),
          store.slice(idsAsc, { owner }, { gte: { k: "30" }, limit: 3, pageToken: token }),
          store.slice(idsAsc, { owner }, { ...query, reverse: true, pageToken: token }),
          store.slice(idsDesc, { owner }, { ...query, pageToken: token }),
        ];
        for (const [i, attempt] of attempts.entries()) {
          expect(await rejectionOf(attempt), `attempt ${i}`).to.be.instanceOf(InvalidPageTokenError);
        }
        const next = await store.slice(idsAsc, { owner }, { ...query, pageToken: token });
        expect(next.rows.map((row) => row.k)).to.deep.equal(["50", "60", "70"]);
      });
    });

    describe("batch", function () {
      it("applies puts and deletes to one partition together", async function () {
        const owner = randomId();
        await store.put(notes, { owner, k: "1", title: "gone" });
        await store.put(notes, { owner, k: "2", title: "kept", body: "body" });
        await store.batch(notes, { owner }, [
          { op: "delete", key: { owner, k: "1" } },
          { op: "put", row: { owner, k: "2", title: "changed" } },
          { op: "put", row: { owner, k: "3", title: "new", views: 1 } },
        ]);
        expect((await store.slice(notes, { owner })).rows).to.deep.equal([
          { owner, k: "2", title: "changed", body: "body" },
          { owner, k: "3", title: "new", views: 1 },
        ]);
      });

      it("writes nothing when one op is invalid", async function () {
        const owner = randomId();
        await store.put(notes, { owner, k: "1", title: "before" });
        const invalid = [
          { op: "put", row: { owner, k: "3", title: 42 } },
          { op: "put", row: { owner: randomId(), k: "3", title: "elsewhere" } },
          { op: "delete", key: { owner: randomId(), k: "1" } },
          { op: "put", row: { owner } },
        ] as const;
        for (const bad of invalid) {
          const ops = [
            { op: "delete", key: { owner, k: "1" } },
            { op: "put", row: { owner, k: "2", title: "new" } },
            bad,
          ];
          expect(
            await rejectionOf(store.batch(notes, { owner }, ops as never)),
            JSON.stringify(bad),
          ).to.be.instanceOf(Error);
        }
        expect((await store.slice(notes, { owner })).rows).to.deep.equal([
          { owner, k: "1", title: "before" },
        ]);
      });

      it("accepts an empty batch", async function () {
        await store.batch(notes, { owner: randomId() }, []);
      });
    });

    describe("insertIfAbsent", function () {
      it("inserts once, then answers the row that is there", async function () {
        const handle = `h-${randomId()}`;
        const claimed = new Date("2030-01-01T00:00:00.000Z");
        expect(await store.insertIfAbsent(handles, { handle, owner: "1", claimed })).to.deep.equal({
          applied: true,
        });
        expect(await store.insertIfAbsent(handles, { handle, owner: "2" })).to.deep.equal({
          applied: false,
          existing: { handle, owner: "1", claimed },
        });
        expect(await store.get(handles, { handle })).to.deep.equal({ handle, owner: "1", claimed });
      });

      it("lets exactly one of 20 concurrent claims win, and shows the winner to the others", async function () {
        const handle = `h-${randomId()}`;
        const owners = Array.from({ length: 20 }, () => randomId());
        const results = await Promise.all(
          owners.map((owner) => store.insertIfAbsent(handles, { handle, owner })),
        );
        const winners = owners.filter((_, i) => results[i]?.applied === true);
        expect(winners).to.have.length(1);
        const winner = { handle, owner: winners[0] };
        for (const result of results) {
          if (!result.applied) expect(result.existing).to.deep.equal(winner);
        }
        expect(await store.get(handles, { handle })).to.deep.equal(winner);
      });

      it("applies again once the row is deleted", async function () {
        const handle = `h-${randomId()}`;
        await store.insertIfAbsent(handles, { handle, owner: "1" });
        expect(await store.deleteIf(handles, { handle })).to.equal(true);
        expect(await store.insertIfAbsent(handles, { handle, owner: "2" })).to.deep.equal({ applied: true });
        expect(await store.get(handles, { handle })).to.deep.equal({ handle, owner: "2" });
      });
    });

    describe("deleteIf", function () {
      it("deletes only a row that is there and holds the values given", async function () {
        const handle = `h-${randomId()}`;
        const claimed = new Date("2030-01-01T00:00:00.000Z");
        expect(await store.deleteIf(handles, { handle })).to.equal(false);
        await store.insertIfAbsent(handles, { handle, owner: "1", claimed });
        expect(await store.deleteIf(handles, { handle }, { owner: "2" })).to.equal(false);
        expect(await store.deleteIf(handles, { handle }, { owner: "1", claimed: new Date(0) })).to.equal(
          false,
        );
        expect(await store.get(handles, { handle })).to.deep.equal({ handle, owner: "1", claimed });
        expect(await store.deleteIf(handles, { handle }, { owner: "1", claimed })).to.equal(true);
        expect(await store.get(handles, { handle })).to.equal(undefined);
        await store.insertIfAbsent(handles, { handle, owner: "3" });
        expect(await store.deleteIf(handles, { handle })).to.equal(true);
        expect(await store.get(handles, { handle })).to.equal(undefined);
      });

      it("orders a row's conditional writes as they were made, even within one millisecond", async function () {
        // The flake this guards against: a row written plainly survived a deleteIf that answered true,
        // because Cassandra orders plain writes and lightweight transactions by different clocks.
        this.timeout(60_000);
        const handle = `h-${randomId()}`;
        for (let i = 0; i < 50; i++) {
          expect(
            (await store.insertIfAbsent(handles, { handle, owner: "1" })).applied,
            `round ${i}`,
          ).to.equal(true);
          expect(
            await store.updateIf(handles, { handle, owner: "2" }, { owner: "1" }),
            `round ${i}`,
          ).to.equal(true);
          expect(await store.deleteIf(handles, { handle }, { owner: "2" }), `round ${i}`).to.equal(true);
          expect(await store.get(handles, { handle }), `round ${i}`).to.equal(undefined);
        }
      });

      it("lets exactly one of 20 concurrent removals of a row taken with insertIfAbsent win", async function () {
        const handle = `h-${randomId()}`;
        await store.insertIfAbsent(handles, { handle, owner: "1" });
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.deleteIf(handles, { handle }, { owner: "1" })),
        );
        expect(results.filter(Boolean)).to.have.length(1);
        expect(await store.insertIfAbsent(handles, { handle, owner: "2" })).to.deep.equal({ applied: true });
      });
    });

    describe("updateIf", function () {
      it("writes only to a row that is there and holds the values given", async function () {
        const handle = `h-${randomId()}`;
        const claimed = new Date("2030-01-01T00:00:00.000Z");
        expect(await store.updateIf(handles, { handle, owner: "1" })).to.equal(false);
        expect(await store.get(handles, { handle })).to.equal(undefined);
        await store.insertIfAbsent(handles, { handle, owner: "1" });
        expect(await store.updateIf(handles, { handle, owner: "3" }, { owner: "2" })).to.equal(false);
        expect(await store.get(handles, { handle })).to.deep.equal({ handle, owner: "1" });
        expect(await store.updateIf(handles, { handle, claimed }, { owner: "1" })).to.equal(true);
        expect(await store.get(handles, { handle })).to.deep.equal({ handle, owner: "1", claimed });
        expect(await store.updateIf(handles, { handle, owner: "4" })).to.equal(true);
        expect(await store.get(handles, { handle })).to.deep.equal({ handle, owner: "4", claimed });
      });

      it("lets exactly one of 20 concurrent compare-and-sets win", async function () {
        const handle = `h-${randomId()}`;
        await store.insertIfAbsent(handles, { handle, owner: "1" });
        const owners = Array.from({ length: 20 }, () => randomId());
        const results = await Promise.all(
          owners.map((owner) => store.updateIf(handles, { handle, owner }, { owner: "1" })),
        );
        const winners = owners.filter((_, i) => results[i] === true);
        expect(winners).to.have.length(1);
        expect(await store.get(handles, { handle })).to.deep.equal({ handle, owner: winners[0] });
      });

      it("needs a value column to write", async function () {
        const handle = `h-${randomId()}`;
        await store.insertIfAbsent(handles, { handle, owner: "1" });
        expect(await rejectionOf(store.updateIf(handles, { handle }))).to.be.instanceOf(TypeError);
      });
    });

    describe("conditional tables", function () {
      it("refuse plain writes, which would race their lightweight transactions", async function () {
        const handle = `h-${randomId()}`;
        expect(await rejectionOf(store.put(handles, { handle, owner: "1" }))).to.be.instanceOf(
          ConditionalTableError,
        );
        expect(await rejectionOf(store.delete(handles, { handle }))).to.be.instanceOf(ConditionalTableError);
        expect(await rejectionOf(store.deletePartition(handles, { handle }))).to.be.instanceOf(
          ConditionalTableError,
        );
        expect(
          await rejectionOf(store.batch(handles, { handle }, [{ op: "put", row: { handle, owner: "1" } }])),
        ).to.be.instanceOf(ConditionalTableError);
        expect(await store.get(handles, { handle })).to.equal(undefined);
      });
    });

    describe("time to live", function () {
      this.timeout(30_000);

      it("hides an expired row from get and slice, and keeps the rest", async function () {
        const owner = randomId();
        await store.put(notes, { owner, k: "1", title: "permanent" });
        await store.put(notes, { owner, k: "2", title: "short" }, { ttlSeconds: TTL_SECONDS });
        expect(await store.get(notes, { owner, k: "2" })).to.deep.equal({ owner, k: "2", title: "short" });
        if (clock !== undefined) {
          clock.advance(TTL_SECONDS * 1000 - 1);
          expect(await store.get(notes, { owner, k: "2" })).to.not.equal(undefined);
        }
        await outlive(TTL_SECONDS);
        expect(await store.get(notes, { owner, k: "2" })).to.equal(undefined);
        expect((await store.slice(notes, { owner })).rows).to.deep.equal([
          { owner, k: "1", title: "permanent" },
        ]);
      });

      it("makes a row permanent when it is written again without TTL", async function () {
        const owner = randomId();
        await store.put(notes, { owner, k: "1", title: "t", body: "b" }, { ttlSeconds: TTL_SECONDS });
        await store.put(notes, { owner, k: "1", title: "t", body: "b" });
        await outlive(TTL_SECONDS);
        expect(await store.get(notes, { owner, k: "1" })).to.deep.equal({
          owner,
          k: "1",
          title: "t",
          body: "b",
        });
      });

      it("expires only what the TTL write set", async function () {
        const owner = randomId();
        await store.put(notes, { owner, k: "1", title: "short" }, { ttlSeconds: TTL_SECONDS });
        await store.put(notes, { owner, k: "1", body: "permanent" });
        await outlive(TTL_SECONDS);
        expect(await store.get(notes, { owner, k: "1" })).to.deep.equal({ owner, k: "1", body: "permanent" });
      });

      it("extends the life of a row written again with a TTL", async function () {
        if (clock === undefined) this.skip();
        const owner = randomId();
        await store.put(notes, { owner, k: "1", title: "t" }, { ttlSeconds: TTL_SECONDS });
        clock?.advance(TTL_SECONDS * 500);
        await store.put(notes, { owner, k: "1", title: "t" }, { ttlSeconds: TTL_SECONDS });
        clock?.advance(TTL_SECONDS * 500 + 1);
        expect(await store.get(notes, { owner, k: "1" })).to.deep.equal({ owner, k: "1", title: "t" });
        clock?.advance(TTL_SECONDS * 500);
        expect(await store.get(notes, { owner, k: "1" })).to.equal(undefined);
      });

      it("applies the table's default TTL, which ttlSeconds 0 turns off", async function () {
        const owner = randomId();
        await store.put(expiring, { owner, k: "1", title: "default" });
        await store.put(expiring, { owner, k: "2", title: "forever" }, { ttlSeconds: 0 });
        await outlive(TTL_SECONDS);
        expect((await store.slice(expiring, { owner })).rows).to.deep.equal([
          { owner, k: "2", title: "forever" },
        ]);
      });

      it("expires rows written by a batch and by insertIfAbsent", async function () {
        const owner = randomId();
        await store.batch(notes, { owner }, [
          { op: "put", row: { owner, k: "1", title: "short" }, ttlSeconds: TTL_SECONDS },
          { op: "put", row: { owner, k: "2", title: "permanent" } },
        ]);
        await store.insertIfAbsent(notes, { owner, k: "3", title: "claim" }, { ttlSeconds: TTL_SECONDS });
        expect((await store.slice(notes, { owner })).rows).to.have.length(3);
        await outlive(TTL_SECONDS);
        expect((await store.slice(notes, { owner })).rows).to.deep.equal([
          { owner, k: "2", title: "permanent" },
        ]);
      });

      it("lets insertIfAbsent apply over an expired row", async function () {
        const handle = `h-${randomId()}`;
        await store.insertIfAbsent(handles, { handle, owner: "1" }, { ttlSeconds: TTL_SECONDS });
        expect((await store.insertIfAbsent(handles, { handle, owner: "2" })).applied).to.equal(false);
        await outlive(TTL_SECONDS);
        expect(await store.insertIfAbsent(handles, { handle, owner: "3" })).to.deep.equal({ applied: true });
        expect(await store.get(handles, { handle })).to.deep.equal({ handle, owner: "3" });
      });

      it("keeps a claim taken with a TTL for good once updateIf writes it without one", async function () {
        const handle = `h-${randomId()}`;
        await store.insertIfAbsent(handles, { handle, owner: "1" }, { ttlSeconds: TTL_SECONDS });
        expect(
          await store.updateIf(handles, { handle, owner: "1" }, { owner: "1" }, { ttlSeconds: 0 }),
        ).to.equal(true);
        await outlive(TTL_SECONDS);
        expect(await store.get(handles, { handle })).to.deep.equal({ handle, owner: "1" });
        expect((await store.insertIfAbsent(handles, { handle, owner: "2" })).applied).to.equal(false);
      });
    });

    describe("counters", function () {
      it("reads undefined before any increment, then every counter with 0 for the untouched", async function () {
        const owner = randomId();
        expect(await store.get(counters, { owner, k: "post" })).to.equal(undefined);
        await store.increment(counters, { owner, k: "post" }, { likes: 1 });
        expect(await store.get(counters, { owner, k: "post" })).to.deep.equal({
          owner,
          k: "post",
          likes: 1,
          views: 0,
        });
      });

      it("adds deltas, negative ones too", async function () {
        const owner = randomId();
        await store.increment(counters, { owner, k: "a" }, { likes: 5, views: 2 });
        await store.increment(counters, { owner, k: "a" }, { likes: -7 });
        await store.increment(counters, { owner, k: "b" }, { views: 9 });
        expect((await store.slice(counters, { owner })).rows).to.deep.equal([
          { owner, k: "a", likes: -2, views: 2 },
          { owner, k: "b", likes: 0, views: 9 },
        ]);
      });

      it("counts 200 concurrent increments exactly", async function () {
        const owner = randomId();
        await Promise.all(
          Array.from({ length: 200 }, () => store.increment(counters, { owner, k: "hot" }, { likes: 1 })),
        );
        expect((await store.get(counters, { owner, k: "hot" }))?.likes).to.equal(200);
      });

      it("changes counters only through increment, and increments only counter tables", async function () {
        const owner = randomId();
        const attempts = [
          store.put(counters, { owner, k: "a", likes: 1 }),
          store.insertIfAbsent(counters, { owner, k: "a", likes: 1 }),
          store.increment(notes, { owner, k: "1" }, { views: 1 }),
        ];
        for (const attempt of attempts) expect(await rejectionOf(attempt)).to.be.instanceOf(Error);
        expect(await store.get(counters, { owner, k: "a" })).to.equal(undefined);
        expect(await store.get(notes, { owner, k: "1" })).to.equal(undefined);
      });
    });

    describe("deletePartition", function () {
      it("removes every row of one partition and nothing else", async function () {
        const [owner, neighbour] = [randomId(), randomId()];
        for (const k of ["1", "2", "3"]) {
          await store.put(notes, { owner, k, title: k });
          await store.put(notes, { owner: neighbour, k, title: k });
        }
        await store.put(idsAsc, { owner, k: "1" });
        await store.put(notes, { owner, k: "4" }, { ttlSeconds: TTL_SECONDS });
        await store.deletePartition(notes, { owner });
        expect((await store.slice(notes, { owner })).rows).to.deep.equal([]);
        expect(await store.get(notes, { owner, k: "2" })).to.equal(undefined);
        expect((await store.slice(notes, { owner: neighbour })).rows).to.have.length(3);
        expect(await store.get(idsAsc, { owner, k: "1" })).to.deep.equal({ owner, k: "1" });
        await store.put(notes, { owner, k: "5" });
        expect((await store.slice(notes, { owner })).rows).to.deep.equal([{ owner, k: "5" }]);
      });
    });

    describe("lifecycle", function () {
      it("is ready once open, and open is idempotent", async function () {
        await store.open(contractTables);
        expect(await store.isReady()).to.equal(true);
      });

      it("rejects every operation after close with StoreClosedError", async function () {
        const owner = randomId();
        await store.put(notes, { owner, k: "1" });
        await store.close();
        expect(await store.isReady()).to.equal(false);
        const attempts: Promise<unknown>[] = [
          store.get(notes, { owner, k: "1" }),
          store.put(notes, { owner, k: "1" }),
          store.delete(notes, { owner, k: "1" }),
          store.deletePartition(notes, { owner }),
          store.insertIfAbsent(notes, { owner, k: "2" }),
          store.slice(notes, { owner }),
          store.batch(notes, { owner }, [{ op: "delete", key: { owner, k: "1" } }]),
          store.increment(counters, { owner, k: "a" }, { likes: 1 }),
        ];
        for (const [i, attempt] of attempts.entries()) {
          expect(await rejectionOf(attempt), `operation ${i}`).to.be.instanceOf(StoreClosedError);
        }
        await store.close();
      });
    });
  });
}
