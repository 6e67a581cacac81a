import fc from "fast-check";
import type { JsonSchema } from "./openapi";

/** A generated value with the kinds of input it is made of (for the coverage summary and the report). */
export interface Tagged<T> {
  value: T;
  tags: string[];
}

export function tagged<T>(tag: string, arb: fc.Arbitrary<T>): fc.Arbitrary<Tagged<T>> {
  return arb.map((value) => ({ value, tags: [tag] }));
}

/** A JSON literal written as is: numbers JSON.stringify cannot write (1e400, -0, 400 digits). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** A JSON object as ordered pairs: duplicate keys and `__proto__` keys are written as given. */
export class Pairs {
  constructor(readonly pairs: [string, FuzzJson][]) {}
}

export type FuzzJson = null | boolean | number | string | RawJson | Pairs | FuzzJson[];

export function toJsonText(value: FuzzJson): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof Pairs) {
    return `{${value.pairs.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(",")}}`;
  }
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(",")}]`;
  return JSON.stringify(value);
}

/** Unicode that breaks naive code: lone surrogates, NUL, bidi controls, joiners, combining marks, case folds. */
export const UNICODE_EDGES: readonly string[] = [
  "\uD800",
  "\uDC00",
  "a\uD83Dz",
  "\uDE00\uD83D",
  "\u0000",
  "a\u0000b",
  "\u202Eevil\u202C",
  "\u200F\u200E",
  "\u2066x\u2069",
  "\uFEFF",
  "\u200B",
  "\u200D",
  "👨‍👩‍👧‍👦",
  "🏳️‍🌈",
  "😀",
  "e\u0301",
  "Z\u0351\u0355\u0347\u035A\u0356\u0353\u0324\u0331a\u0357\u0351\u035Bl\u0350\u0315g\u0352o",
  "İ",
  "ß",
  "ﬀ",
  "Ⅻ",
  "ａｄｍｉｎ",
  "аdmin",
  "١٢٣",
  "１２３",
  "\t",
  "\r\n",
  "\n",
  "\u0085",
  "\u2028\u2029",
  "\u00A0",
  "\u3000",
  "\u007F",
  "\u009B",
  "\uFFFD",
  "\uFFFF",
  "\u{10FFFF}",
  "𝕒𝕓𝕔",
];

/** Strings with a meaning elsewhere: paths, markup, template and query languages, JavaScript's own names. */
export const HOSTILE_STRINGS: readonly string[] = [
  "",
  " ",
  "   ",
  "\t \n",
  ".",
  "..",
  "../../../../etc/passwd",
  "..%2F..%2Fetc%2Fpasswd",
  "%",
  "%%",
  "%zz",
  "%00",
  "%2e%2e",
  "%C0%AE",
  "a/b",
  "a\\b",
  "a?b=c",
  "a#b",
  "a;b",
  "<script>alert(1)</script>",
  "\"'`",
  "' OR '1'='1' --",
  "'; DROP TABLE users; --",
  "${jndi:ldap://x/a}",
  "{{7*7}}",
  "#{7*7}",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "null",
  "undefined",
  "NaN",
  "true",
  "false",
  "[]",
  "{}",
  "[object Object]",
  "$where",
  '{"$gt":""}',
  "*",
  "admin",
  "@everyone",
  "#",
  "#tag",
  "@",
  "@me",
];

/** Numbers as text: overlong, signed, padded, in other notations and scripts. */
export const NUMBER_STRINGS: readonly string[] = [
  "0",
  "-0",
  "1",
  "-1",
  "+1",
  "00",
  "007",
  "000000000000000000001",
  "1.5",
  "1.0",
  "1e3",
  "1E400",
  "-1e-400",
  "0x10",
  "0b11",
  "0o7",
  "1_000",
  " 12",
  "12 ",
  "1 2",
  "Infinity",
  "-Infinity",
  "NaN",
  "9007199254740991",
  "9007199254740993",
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775808",
  "18446744073709551615",
  "18446744073709551616",
  "99999999999999999999",
  "9".repeat(400),
  "١٢٣",
  "１２３",
];

/** About 100 KB of text, in one-byte, four-byte and combining forms. */
export const hugeString: fc.Arbitrary<string> = fc.constantFrom(
  "a".repeat(100_000),
  "😀".repeat(25_000),
  "e\u0301".repeat(33_000),
  "\u0000".repeat(10_000),
  "\uD800".repeat(30_000),
  " ".repeat(100_000),
);

/** Any text at all: printable graphemes, any code point, and the edge cases above glued in. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...UNICODE_EDGES),
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom(...NUMBER_STRINGS),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc
    .array(fc.constantFrom(...UNICODE_EDGES, "a", "b", "1", "_", "."), { minLength: 2, maxLength: 12 })
    .map((parts) => parts.join("")),
);

/** The characters a pattern like `^[A-Za-z0-9._]+$` allows, or undefined for other patterns. */
function patternClass(pattern: string | undefined): string[] | undefined {
  const match = /^\^\[([^\]]+)\][+*]\$$/.exec(pattern ?? "");
  if (!match?.[1]) return undefined;
  const spec = match[1];
  const chars: string[] = [];
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i] ?? "";
    const next = spec[i + 2];
    if (spec[i + 1] === "-" && next !== undefined) {
      for (let code = c.charCodeAt(0); code <= next.charCodeAt(0); code++)
        chars.push(String.fromCharCode(code));
      i += 2;
    } else chars.push(c === "\\" ? (spec[++i] ?? "") : c);
  }
  return chars;
}

function repeatTo(length: number, unit: string): string {
  return length <= 0 ? "" : unit.repeat(length);
}

/** A string meant to pass the schema (pattern, lengths). */
export function validString(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 40, Math.max(min, 40));
  const chars = patternClass(schema.pattern);
  if (chars)
    return fc.string({ unit: fc.constantFrom(...chars), minLength: Math.max(min, 1), maxLength: max });
  if (schema.pattern !== undefined) return fc.stringMatching(new RegExp(schema.pattern));
  return fc.string({ unit: "grapheme", minLength: min, maxLength: max });
}

/** Strings at and just past the schema's (or the contract's) bounds, counted in code points and in UTF-16 units. */
export function boundaryString(schema: JsonSchema): fc.Arbitrary<string> {
  const lengths = new Set<number>([0, 1]);
  for (const bound of [schema.minLength, schema.maxLength]) {
    if (bound !== undefined) for (const d of [-1, 0, 1]) if (bound + d >= 0) lengths.add(bound + d);
  }
  const unit = patternClass(schema.pattern)?.[0] ?? "a";
  return fc
    .tuple(fc.constantFrom(...lengths), fc.constantFrom(unit, "😀", "e\u0301", " ", "\u200B"))
    .map(([length, fill]) =>
      fill === unit ? repeatTo(length, unit) : `${unit}${repeatTo(length - 1, fill)}`,
    );
}

/** Any value of the wrong JSON type (and a few of the right type with the wrong meaning). */
export const wrongTypeJson: fc.Arbitrary<FuzzJson> = fc.oneof(
  fc.constantFrom<FuzzJson>(null, true, false, 0, -1, 1.5, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2),
  fc.constantFrom(
    new RawJson("1e400"),
    new RawJson("-0"),
    new RawJson("9".repeat(400)),
    new RawJson("0.0000000000000000000000000001"),
  ),
  fc.constant<FuzzJson>([]),
  fc.constant<FuzzJson>(new Pairs([])),
  fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 3 }),
  fc.constant<FuzzJson>(new Pairs([["__proto__", new Pairs([["polluted", true]])]])),
  fc.constant<FuzzJson>(new Pairs([["$gt", ""]])),
  fc.integer({ min: 1, max: 200 }).map((depth) => nested(depth)),
);

function nested(depth: number): FuzzJson {
  let value: FuzzJson = "deep";
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : new Pairs([["a", value]]);
  return value;
}

/** Integers at, inside and past the schema's range, and numbers that are not integers. */
export function integerJson(schema: JsonSchema): fc.Arbitrary<Tagged<FuzzJson>> {
  const min = schema.minimum ?? 0;
  const max = Math.min(schema.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER);
  const edges = [min - 1, min, min + 1, max - 1, max, max + 1, 0, -1, 2 ** 53, 2 ** 53 + 2, 2 ** 63];
  return fc.oneof(
    { weight: 4, arbitrary: tagged("valid", fc.integer({ min, max: Math.min(max, min + 100_000) })) },
    { weight: 3, arbitrary: tagged("boundary", fc.constantFrom<FuzzJson>(...edges)) },
    { weight: 1, arbitrary: tagged("fraction", fc.double({ min: -1e6, max: 1e6, noNaN: true })) },
    { weight: 1, arbitrary: tagged("numeric-string", fc.constantFrom<FuzzJson>(...NUMBER_STRINGS)) },
    { weight: 2, arbitrary: tagged("wrong-type", wrongTypeJson) },
  );
}

/** A decimal number as a string, in and around the range of the schema (query strings and path segments). */
export function integerText(schema: JsonSchema): fc.Arbitrary<Tagged<string>> {
  const min = schema.minimum ?? 0;
  const max = Math.min(schema.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER);
  return fc.oneof(
    { weight: 4, arbitrary: tagged("valid", fc.integer({ min, max }).map(String)) },
    {
      weight: 3,
      arbitrary: tagged("boundary", fc.constantFrom(min - 1, min, max, max + 1).map(String)),
    },
    { weight: 3, arbitrary: tagged("numeric-string", fc.constantFrom(...NUMBER_STRINGS)) },
    { weight: 2, arbitrary: tagged("nasty", nastyString) },
    {
      weight: 1,
      arbitrary: tagged(
        "huge",
        hugeString.map((s) => s.slice(0, 5000)),
      ),
    },
  );
}

/** Snowflake-like ids: real ones, random valid-looking ones, and ids that only look like ids. */
export function idText(real: readonly string[]): fc.Arbitrary<Tagged<string>> {
  const realArb = real.length > 0 ? fc.constantFrom(...real) : fc.constant("1");
  return fc.oneof(
    { weight: 6, arbitrary: tagged("real-id", realArb) },
    {
      weight: 2,
      arbitrary: tagged(
        "random-id",
        fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map((n) => n.toString()),
      ),
    },
    {
      weight: 2,
      arbitrary: tagged(
        "id-variant",
        fc
          .tuple(realArb, fc.constantFrom("0", "-", "+", " ", "00", "", "x"))
          .map(([id, prefix]) => prefix + id),
      ),
    },
    { weight: 2, arbitrary: tagged("numeric-string", fc.constantFrom(...NUMBER_STRINGS)) },
    { weight: 2, arbitrary: tagged("nasty", nastyString) },
    { weight: 1, arbitrary: tagged("huge", hugeString) },
  );
}

/** A string for a schema: valid, at its bounds, hostile, huge or empty. */
export function stringFor(schema: JsonSchema): fc.Arbitrary<Tagged<string>> {
  return fc.oneof(
    { weight: 5, arbitrary: tagged("valid", validString(schema)) },
    { weight: 3, arbitrary: tagged("boundary", boundaryString(schema)) },
    { weight: 3, arbitrary: tagged("nasty", nastyString) },
    { weight: 1, arbitrary: tagged("huge", hugeString) },
    { weight: 1, arbitrary: tagged("empty", fc.constant("")) },
  );
}
