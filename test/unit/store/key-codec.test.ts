import { expect } from "chai";
import {
  assertColumnValue,
  decodeKey,
  decodeKeyValue,
  encodeKey,
  encodeKeyValue,
  prefixEnd,
} from "../../../lib/store/key-codec";
import type { KeyColumn, KeyColumnType } from "../../../lib/store/key-codec";
import type { ClusteringOrder } from "../../../lib/store/schema";

/** A seeded generator (mulberry32), so a failure reproduces. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = randomSource(20_300_101);
const pick = <V>(choices: readonly V[]): V => choices[Math.floor(random() * choices.length)] as V;
const times = <V>(count: number, make: () => V): V[] => Array.from({ length: count }, make);

const TWO_63 = 1n << 63n;
const randomBigUint63 = (): bigint =>
  BigInt(Math.floor(random() * 2 ** 31)) * 2n ** 32n + BigInt(randomInt32());
const randomInt32 = (): number => Math.floor(random() * 2 ** 32);

/** Characters that stress the escaping (00, 01, 02), multi-byte UTF-8, the BMP's end and astral planes. */
const TEXT_ALPHABET = ["\u0000", "\u0001", "\u0002", "a", "b", "\u007f", "\u00ff", "é", "\uffff", "😀", "𝄞"];

interface TypeCase {
  type: KeyColumnType;
  values: unknown[];
  compare: (a: unknown, b: unknown) => number;
}

const sign = (n: number | bigint): number => (n > 0 ? 1 : n < 0 ? -1 : 0);
const utf8 = (value: unknown): Buffer => Buffer.from(value as string, "utf8");

const typeCases: TypeCase[] = [
  {
    type: "id",
    values: [
      "0",
      "1",
      "9",
      "10",
      (TWO_63 - 1n).toString(),
      (TWO_63 - 2n).toString(),
      (TWO_63 - 256n).toString(),
      ...times(200, () => randomBigUint63().toString()),
      ...times(50, () => String(Math.floor(random() * 1000))),
    ],
    compare: (a, b) => sign(BigInt(a as string) - BigInt(b as string)),
  },
  {
    type: "int",
    values: [
      0,
      -1,
      1,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
      -256,
      255,
      256,
      ...times(200, () => Math.floor((random() - 0.5) * 2 * Number.MAX_SAFE_INTEGER)),
      ...times(50, () => Math.floor((random() - 0.5) * 1000)),
    ],
    compare: (a, b) => sign((a as number) - (b as number)),
  },
  {
    type: "timestamp",
    values: [
      new Date(0),
      new Date(-1),
      new Date(8.64e15),
      new Date(-8.64e15),
      ...times(200, () => new Date(Math.floor((random() - 0.5) * 2 * 8.64e15))),
    ],
    compare: (a, b) => sign((a as Date).getTime() - (b as Date).getTime()),
  },
  { type: "boolean", values: [true, false, true, false], compare: (a, b) => Number(a) - Number(b) },
  {
    type: "text",
    values: [
      "",
      "a",
      "a\u0000",
      "a\u0001",
      "a\u0002",
      "ab",
      "\u0000",
      "\u0000\u0000",
      "\u0001",
      ...times(300, () => times(Math.floor(random() * 6), () => pick(TEXT_ALPHABET)).join("")),
    ],
    // Cassandra sorts text by UTF-8 bytes (code points), which is not JavaScript's UTF-16 `<`.
    compare: (a, b) => Buffer.compare(utf8(a), utf8(b)),
  },
  {
    type: "blob",
    values: [
      Buffer.alloc(0),
      Buffer.from([0]),
      Buffer.from([0, 0]),
      Buffer.from([1]),
      Buffer.from([0xff]),
      Buffer.from([0xff, 0xff]),
      ...times(300, () =>
        Buffer.from(times(Math.floor(random() * 6), () => pick([0, 1, 2, 0x7f, 0xfe, 0xff]))),
      ),
    ],
    compare: (a, b) => Buffer.compare(a as Buffer, b as Buffer),
  },
];

describe("key-codec", function () {
  for (const { type, values, compare } of typeCases) {
    for (const order of ["asc", "desc"] as const) {
      it(`${type} ${order}: byte order of encodings is value order`, function () {
        const byValue = [...values].sort((a, b) => (order === "asc" ? compare(a, b) : compare(b, a)));
        const byBytes = values
          .map((value) => encodeKeyValue(type, value, order))
          .sort((a, b) => Buffer.compare(a, b))
          .map((encoded) => decodeKeyValue(type, encoded, 0, order).value);
        expect(byBytes).to.deep.equal(byValue);
      });

      it(`${type} ${order}: decodes what it encodes, and reports where the next column starts`, function () {
        for (const value of values) {
          const encoded = Buffer.concat([encodeKeyValue(type, value, order), Buffer.from([0x42])]);
          const decoded = decodeKeyValue(type, encoded, 0, order);
          expect(decoded.value).to.deep.equal(value);
          expect(decoded.offset).to.equal(encoded.length - 1);
        }
      });
    }
  }

  it("sorts text by code point, not by UTF-16 unit", function () {
    const bmpEnd = encodeKeyValue("text", "\uffff");
    const emoji = encodeKeyValue("text", "😀");
    expect(Buffer.compare(bmpEnd, emoji)).to.equal(-1);
  });

  it("puts a prefix first in asc and last in desc", function () {
    const pairs: [string, string][] = [
      ["", "a"],
      ["a", "a\u0000"],
      ["a", "ab"],
      ["a\u0000", "a\u0001"],
    ];
    for (const [short, long] of pairs) {
      expect(Buffer.compare(encodeKeyValue("text", short), encodeKeyValue("text", long))).to.equal(-1);
      expect(
        Buffer.compare(encodeKeyValue("text", short, "desc"), encodeKeyValue("text", long, "desc")),
      ).to.equal(1);
    }
  });

  it("encodes ids and ints in 8 bytes, big-endian, ints with the sign bit flipped", function () {
    expect(encodeKeyValue("id", "258").toString("hex")).to.equal("0000000000000102");
    expect(encodeKeyValue("int", 0).toString("hex")).to.equal("8000000000000000");
    expect(encodeKeyValue("int", -1).toString("hex")).to.equal("7fffffffffffffff");
    expect(encodeKeyValue("int", 1, "desc").toString("hex")).to.equal("7ffffffffffffffe");
    expect(encodeKeyValue("text", "a\u0000\u0001").toString("hex")).to.equal("6101010102" + "00");
  });

  describe("composite keys", function () {
    const columns: KeyColumn[] = [
      { name: "bucket", type: "text", order: "asc" },
      { name: "score", type: "int", order: "desc" },
      { name: "tag", type: "text", order: "desc" },
      { name: "flag", type: "boolean", order: "asc" },
    ];
    const rows = times(400, () => ({
      bucket: times(Math.floor(random() * 3), () => pick(["\u0000", "\u0001", "a", "b"])).join(""),
      score: Math.floor((random() - 0.5) * 6),
      tag: times(Math.floor(random() * 3), () => pick(["\u0000", "a", "😀"])).join(""),
      flag: random() < 0.5,
    }));
    const compareRows = (a: (typeof rows)[number], b: (typeof rows)[number]): number =>
      Buffer.compare(utf8(a.bucket), utf8(b.bucket)) ||
      sign(b.score - a.score) ||
      Buffer.compare(utf8(b.tag), utf8(a.tag)) ||
      Number(a.flag) - Number(b.flag);

    it("sorts like the tuple of its values, each column in its order", function () {
      const byValue = [...rows].sort(compareRows);
      const byBytes = rows
        .map((row) => encodeKey(columns, row))
        .sort((a, b) => Buffer.compare(a, b))
        .map((encoded) => decodeKey(columns, encoded).value);
      expect(byBytes).to.deep.equal(byValue);
    });

    it("decodes every column back", function () {
      for (const row of rows.slice(0, 50)) {
        const encoded = encodeKey(columns, row);
        expect(decodeKey(columns, encoded)).to.deep.equal({ value: row, offset: encoded.length });
      }
    });

    it("names the missing or mistyped column", function () {
      expect(() => encodeKey(columns, { bucket: "a", score: 1, tag: "x" })).to.throw(TypeError, /flag/);
      expect(() => encodeKey(columns, { bucket: "a", score: "1", tag: "x", flag: true })).to.throw(
        TypeError,
        /score/,
      );
    });
  });

  describe("validation", function () {
    const invalid: [KeyColumnType, unknown][] = [
      ["id", "12a"],
      ["id", "-1"],
      ["id", ""],
      ["id", "007"],
      ["id", " 1"],
      ["id", "1e3"],
      ["id", TWO_63.toString()],
      ["id", "99999999999999999999"],
      ["id", 5],
      ["int", 1.5],
      ["int", 2 ** 53],
      ["int", "1"],
      ["int", Number.NaN],
      ["timestamp", new Date(Number.NaN)],
      ["timestamp", 0],
      ["boolean", 0],
      ["text", 5],
      ["text", "broken \ud800 surrogate"],
      ["blob", "bytes"],
      ["blob", new Uint16Array(2)],
    ];
    for (const [type, value] of invalid) {
      it(`rejects ${String(value)} as ${type}`, function () {
        expect(() => encodeKeyValue(type, value)).to.throw(TypeError);
        expect(() => assertColumnValue("the_column", type, value)).to.throw(TypeError, /the_column/);
      });
    }

    it("accepts a counter value only as a safe integer and never as a key", function () {
      expect(() => assertColumnValue("likes", "counter", -3)).to.not.throw();
      expect(() => assertColumnValue("likes", "counter", 0.5)).to.throw(TypeError, /likes/);
      expect(() => encodeKeyValue("counter", 1)).to.throw(TypeError);
    });

    it("rejects bytes that no value encodes to", function () {
      const corrupt: [KeyColumnType, number[]][] = [
        ["id", [0, 0, 0, 1]],
        ["id", [0x80, 0, 0, 0, 0, 0, 0, 0]],
        ["int", [0, 0, 0, 0, 0, 0, 0, 0]],
        ["text", [0x61, 0x62]],
        ["text", [0x61, 0x01, 0x03, 0x00]],
        ["blob", [0x01]],
        ["boolean", [2]],
        ["boolean", []],
      ];
      for (const [type, bytes] of corrupt) {
        expect(() => decodeKeyValue(type, Buffer.from(bytes), 0), `${type} ${bytes.join(",")}`).to.throw(
          RangeError,
        );
      }
    });
  });

  describe("prefixEnd", function () {
    it("is the smallest key above every key with the prefix", function () {
      expect(prefixEnd(Buffer.from([1, 2, 3])).toString("hex")).to.equal("010204");
      expect(prefixEnd(Buffer.from([1, 2, 0xff, 0xff])).toString("hex")).to.equal("0103");
      expect(() => prefixEnd(Buffer.from([0xff]))).to.throw(RangeError);
    });

    it("bounds every extension of a desc-encoded prefix", function () {
      // Keys always start with a table prefix, so a desc text's all-0xff encoding is never the whole prefix.
      const prefix = Buffer.concat([Buffer.from("t\u0000"), encodeKeyValue("text", "", "desc")]);
      const extended = Buffer.concat([prefix, Buffer.from([0xff, 0xff])]);
      expect(Buffer.compare(extended, prefixEnd(prefix))).to.equal(-1);
      expect(Buffer.compare(prefix, prefixEnd(prefix))).to.equal(-1);
    });
  });

  // Order under `desc` (inverted bytes) and `Date` handling at the extremes are the risky parts; these pin
  // the property on exact neighbours rather than random values.
  it("orders neighbouring ids and ints near the ends of their ranges", function () {
    const ids = [TWO_63 - 3n, TWO_63 - 2n, TWO_63 - 1n].map(String);
    const ints = [Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER + 1, -1, 0, 1, Number.MAX_SAFE_INTEGER];
    const cases: [KeyColumnType, unknown[]][] = [
      ["id", ids],
      ["int", ints],
    ];
    for (const [type, ascending] of cases) {
      for (const order of ["asc", "desc"] as ClusteringOrder[]) {
        const encoded = ascending.map((value) => encodeKeyValue(type, value, order));
        for (let i = 1; i < encoded.length; i += 1) {
          const expected = order === "asc" ? -1 : 1;
          expect(Buffer.compare(encoded[i - 1]!, encoded[i]!), `${type} ${order} ${i}`).to.equal(expected);
        }
      }
    }
  });
});
