import { readFileSync } from "node:fs";
import nodePath from "node:path";
import fc from "fast-check";
import type { FuzzOperation, FuzzParam, JsonSchema } from "./openapi";
import {
  Pairs,
  hugeString,
  idText,
  integerJson,
  integerText,
  nastyString,
  stringFor,
  tagged,
  toJsonText,
  validString,
  wrongTypeJson,
  type FuzzJson,
  type Tagged,
} from "./values";
import type { Pools, TokenKind } from "./world";

/** One generated request, ready to send (the token is chosen by kind and resolved when sent). */
export interface FuzzRequest {
  op: string;
  method: string;
  /** Path and query, as sent on the request line. */
  target: string;
  headers: [string, string][];
  body: Buffer | undefined;
  token: TokenKind;
  /** Which token of that kind (modulo how many there are). */
  tokenIndex: number;
  /**
   * `fetch`, or a bare socket with the bytes as they are (fetch would refuse or re-encode some of them): the body
   * as declared, chunked, badly chunked, or shorter than its Content-Length (the rest never comes).
   */
  transport: Transport;
  /** The token goes as `?access_token=` (the event stream's way for browsers) instead of a header. */
  tokenInQuery: boolean;
  /** A method the document does not list for this path: no action may run. */
  wrongMethod: boolean;
  /** The input kinds this request is made of: `path:id:nasty`, `body:missing-required`, `token:forged`... */
  tags: string[];
}

/** In a body, stands for a photo the sender uploads for the request (one per occurrence). */
export const FRESH_MEDIA = "FUZZ-FRESH-MEDIA";

export type Transport = "fetch" | "raw" | "raw-chunked" | "raw-bad-chunked" | "raw-short-body";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/** Methods fetch refuses or Node's parser does not know: they go on a bare socket. */
const ODD_METHODS = ["TRACE", "PROPFIND", "M-SEARCH", "FOO", "get"];

const JSON_TYPES = ["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8"];
const OTHER_TYPES = [
  "text/plain",
  "text/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "multipart/form-data; boundary=xyz",
  "application/octet-stream",
  "application/xml",
  "application/jsonx",
  "application/json; charset=utf-16",
  "application/merge-patch+json",
  "APPLICATION/JSON",
  "json",
  ";;;",
  'application/json\t; x="y"',
  "*/*",
];

const DIRTY_TOKENS: TokenKind[] = [
  "none",
  "malformed",
  "forged",
  "expired",
  "alg-none",
  "wrong-audience",
  "unknown-session",
  "bad-subject",
  "revoked",
];

/** The parts a request is made of, each either clean (what a correct client sends) or dirty (anything). */
interface Parts {
  path: fc.Arbitrary<Tagged<string>>;
  query: fc.Arbitrary<Tagged<string>>;
  body: fc.Arbitrary<Tagged<BodyPlan>>;
  headers: fc.Arbitrary<Tagged<[string, string][]>>;
  token: fc.Arbitrary<TokenKind>;
  method: fc.Arbitrary<{ method: string; wrong: boolean }>;
  raw: fc.Arbitrary<Transport>;
  tokenInQuery: fc.Arbitrary<boolean>;
}
const PART_NAMES = ["path", "query", "body", "headers", "token", "method", "raw", "tokenInQuery"] as const;
type PartName = (typeof PART_NAMES)[number];

function cleanParts(op: FuzzOperation, pools: Pools): Parts {
  return {
    path: cleanPath(op, pools),
    query: cleanQuery(op),
    body: cleanBody(op, pools),
    headers: op.headerParams.includes("Idempotency-Key")
      ? fc.option(fc.uuid(), { freq: 2 }).map((key) => ({
          value: key === null ? [] : ([["idempotency-key", key]] as [string, string][]),
          tags: [],
        }))
      : fc.constant({ value: [], tags: [] }),
    token: op.auth
      ? fc.oneof(
          { weight: 9, arbitrary: fc.constant<TokenKind>("valid") },
          { weight: 1, arbitrary: fc.constant<TokenKind>("valid-other") },
        )
      : fc.constant<TokenKind>("none"),
    method: fc.constant({ method: op.method, wrong: false }),
    raw: fc.constant<Transport>("fetch"),
    tokenInQuery: fc.constant(false),
  };
}

function dirtyParts(
  op: FuzzOperation,
  pools: Pools,
  methodsOf: ReadonlyMap<string, ReadonlySet<string>>,
): Parts {
  return {
    path: pathArbitrary(op, pools),
    query: queryArbitrary(op),
    body: bodyArbitrary(op, pools),
    headers: extraHeaders(op),
    token: op.auth
      ? fc.oneof(
          { weight: 1, arbitrary: fc.constant<TokenKind>("valid") },
          { weight: 4, arbitrary: fc.constantFrom(...DIRTY_TOKENS) },
        )
      : fc.constantFrom<TokenKind>("none", "valid", "malformed", "forged", "expired"),
    method: fc.oneof(fc.constantFrom(...METHODS), fc.constantFrom(...ODD_METHODS)).map((m) => ({
      method: m,
      // Node's parser takes a method in any case ("get" is GET).
      wrong: !(methodsOf.get(op.path)?.has(m.toUpperCase()) ?? false),
    })),
    raw: fc.constantFrom<Transport>(
      "fetch",
      "fetch",
      "raw",
      "raw",
      "raw-chunked",
      "raw-bad-chunked",
      "raw-short-body",
    ),
    tokenInQuery: op.eventStream ? fc.boolean() : fc.constant(false),
  };
}

/**
 * Everything a request of this operation can be. A third of the requests are clean (a valid token, real ids,
 * a body of the schema), so that the actions run for real; most of the others have exactly one dirty part (the
 * path, the query, the body, the headers, the token, the method or the transport), so that each kind of mistake
 * meets code that has passed every other check; the rest are dirty throughout.
 */
export function requestArbitrary(
  op: FuzzOperation,
  pools: Pools,
  methodsOf: ReadonlyMap<string, ReadonlySet<string>>,
): fc.Arbitrary<FuzzRequest> {
  const clean = cleanParts(op, pools);
  const dirty = dirtyParts(op, pools, methodsOf);
  const pick = (bad: readonly PartName[], mode: string) =>
    fc
      .record({
        path: bad.includes("path") ? dirty.path : clean.path,
        query: bad.includes("query") ? dirty.query : clean.query,
        body: bad.includes("body") ? dirty.body : clean.body,
        headers: bad.includes("headers") ? dirty.headers : clean.headers,
        token: bad.includes("token") ? dirty.token : clean.token,
        method: bad.includes("method") ? dirty.method : clean.method,
        raw: bad.includes("raw") ? dirty.raw : clean.raw,
        tokenInQuery: bad.includes("tokenInQuery") ? dirty.tokenInQuery : clean.tokenInQuery,
        tokenIndex: fc.nat({ max: 63 }),
      })
      .map((parts) => ({ ...parts, mode }));
  const oneDirty = PART_NAMES.map((name) => ({
    // The body and the path have the most to get wrong.
    weight:
      name === "body" || name === "path"
        ? 4
        : name === "tokenInQuery"
          ? op.eventStream
            ? 2
            : 0
          : name === "raw"
            ? 1
            : 2,
    arbitrary: pick([name], `mode:dirty-${name}`),
  }));
  return fc
    .oneof(
      { weight: 6, arbitrary: pick([], "mode:clean") },
      { weight: 10, arbitrary: fc.oneof(...oneDirty) },
      { weight: 3, arbitrary: pick(PART_NAMES, "mode:chaos") },
    )
    .map(({ path, query, body, method, token, tokenIndex, headers, raw, tokenInQuery, mode }) => {
      const allHeaders: [string, string][] = [...body.value.headers, ...headers.value];
      if (method.method === "OPTIONS" && headers.tags.includes("header:acrm")) {
        allHeaders.push(["access-control-request-method", op.method]);
      }
      const target = path.value + (query.value.length > 0 ? `?${query.value}` : "");
      return {
        op: op.key,
        method: method.method,
        target,
        headers: allHeaders,
        body: method.method === "GET" || method.method === "HEAD" ? undefined : body.value.bytes,
        token,
        tokenIndex,
        transport: raw,
        tokenInQuery,
        wrongMethod: method.wrong,
        tags: [
          mode,
          ...path.tags,
          ...query.tags,
          ...body.tags,
          ...headers.tags,
          `token:${token}`,
          ...(method.wrong ? [`method:${method.method}`] : []),
          ...(raw === "fetch" ? [] : [`transport:${raw}`]),
          ...(tokenInQuery ? ["token:in-query"] : []),
        ],
      };
    });
}

// ---------------------------------------------------------------- clean parts

function cleanPath(op: FuzzOperation, pools: Pools): fc.Arbitrary<Tagged<string>> {
  const segments = op.pathParams.map((param) =>
    fc.constantFrom(...poolFor(op, param.name, pools)).map((value) => ({ name: param.name, value })),
  );
  return fc.tuple(...segments).map((parts) => {
    let path = op.path;
    for (const part of parts) path = path.replace(`{${part.name}}`, encodeURIComponent(part.value));
    return { value: path, tags: [] };
  });
}

function cleanQuery(op: FuzzOperation): fc.Arbitrary<Tagged<string>> {
  const limit = op.queryParams.find((p) => p.name === "limit");
  if (limit === undefined) return fc.constant({ value: "", tags: [] });
  return fc
    .option(fc.integer({ min: limit.schema.minimum ?? 1, max: limit.schema.maximum ?? 100 }), { freq: 2 })
    .map((n) => ({ value: n === null ? "" : `limit=${n}`, tags: [] }));
}

function cleanBody(op: FuzzOperation, pools: Pools): fc.Arbitrary<Tagged<BodyPlan>> {
  switch (op.body.kind) {
    case "none":
      return fc.constant(noBody([]));
    case "stream":
      // The fuzz world's upload session declares 3000 bytes: one part of exactly that size is accepted.
      return fc
        .oneof(
          fc.constant(Buffer.alloc(3000, 0x20)),
          fc.uint8Array({ minLength: 1, maxLength: 3000 }).map((bytes) => Buffer.from(bytes)),
        )
        .map((bytes) => ({
          value: { bytes, headers: [["content-type", "application/octet-stream"]] },
          tags: [],
        }));
    case "multipart":
      return fc.constant({
        value: {
          bytes: multipartForm([{ name: "file", filename: "photo.png", type: "image/png", content: PHOTO }]),
          headers: [["content-type", `multipart/form-data; boundary=${BOUNDARY}`]],
        },
        tags: [],
      });
    case "json": {
      const schema = op.body.schema;
      const required = new Set(schema.required ?? []);
      const fields = Object.entries(schema.properties ?? {}).map(([name, field]) =>
        fc.record({
          name: fc.constant(name),
          present: required.has(name) ? fc.constant(true) : fc.boolean(),
          value: validField(name, field, pools),
        }),
      );
      return fc.tuple(...fields).map((all) => {
        const pairs: [string, FuzzJson][] = all.filter((f) => f.present).map((f) => [f.name, f.value]);
        return {
          value: {
            bytes: Buffer.from(toJsonText(new Pairs(pairs)), "utf8"),
            headers: [["content-type", "application/json"]],
          },
          tags: [],
        };
      });
    }
  }
}

/** A value a correct client would send for this field: real ids and names, text within its bounds. */
function validField(name: string, schema: JsonSchema, pools: Pools): fc.Arbitrary<FuzzJson> {
  const some = (values: readonly string[]) =>
    fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: Math.min(2, values.length) });
  // Media are used once: half of the time a photo uploaded for this request (see FRESH_MEDIA).
  const media = fc.oneof(fc.constantFrom(...pools.mediaIds), fc.constant(FRESH_MEDIA));
  switch (name) {
    case "mediaIds":
      return fc.oneof(
        some(pools.mediaIds),
        fc.integer({ min: 1, max: 3 }).map((n) => Array.from({ length: n }, () => FRESH_MEDIA)),
      );
    case "usernames":
      return some(pools.usernames);
    case "username":
      return fc.oneof(fc.constantFrom(...pools.usernames), validString(schema));
    case "login":
      return fc.constantFrom(...pools.usernames);
    case "email":
      return fc.stringMatching(/^[a-z0-9]{1,12}@[a-z]{1,8}\.(com|org)$/);
    case "password":
      return fc.oneof(fc.constant("correct horse battery"), validString({ ...schema, maxLength: 64 }));
    case "filename":
      return fc.constantFrom("photo.jpg", "clip.mp4", "a.png");
    case "contentType":
      return fc.constantFrom("image/jpeg", "image/png", "video/mp4");
    case "size":
      return fc.integer({ min: 1, max: 30_000_000 });
    case "postId":
      return fc.constantFrom(...pools.postIds);
    case "replyToId":
      return fc.constantFrom(...pools.commentIds);
    case "mediaId":
    case "avatarMediaId":
      return media;
    case "upToId":
      return fc.constantFrom(...pools.ids);
  }
  if (schema.type === "boolean") return fc.boolean();
  if (schema.type === "integer") {
    return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 1000, 1_000_000) });
  }
  return validString(schema);
}

// ---------------------------------------------------------------- path

function poolFor(op: FuzzOperation, name: string, pools: Pools): string[] {
  if (name === "username") return pools.usernames;
  if (name === "n") return ["0", "1"];
  const segment = /^\/api\/([a-z-]+)\//.exec(op.path)?.[1];
  switch (segment) {
    case "posts":
      return pools.postIds;
    case "comments":
      return pools.commentIds;
    case "stories":
      return pools.storyIds;
    case "conversations":
      return pools.conversationIds;
    case "media":
      return pools.mediaIds;
    case "uploads":
      return pools.uploadIds;
    default:
      return pools.ids;
  }
}

/** A path parameter's text: of its kind (an id, a username, a part number) or anything at all. */
function paramText(op: FuzzOperation, param: FuzzParam, pools: Pools): fc.Arbitrary<Tagged<string>> {
  const real = poolFor(op, param.name, pools);
  if (param.schema.type === "integer") {
    return fc.oneof(
      { weight: 2, arbitrary: tagged("real", fc.constantFrom(...real)) },
      { weight: 3, arbitrary: integerText(param.schema) },
    );
  }
  if (param.name === "username") {
    return fc.oneof(
      { weight: 4, arbitrary: tagged("real", fc.constantFrom(...real)) },
      {
        weight: 1,
        arbitrary: tagged(
          "upper-case",
          fc.constantFrom(...real).map((u) => u.toUpperCase()),
        ),
      },
      { weight: 4, arbitrary: stringFor(param.schema) },
    );
  }
  return fc.oneof(
    { weight: 3, arbitrary: idText([...real, ...real, ...real, ...pools.ids]) },
    { weight: 1, arbitrary: tagged("nasty", nastyString) },
  );
}

/** How a segment is written: percent-encoded (lone surrogates too), raw, or with broken escapes. */
function encodeSegment(value: string, how: "encoded" | "raw" | "double"): string {
  if (how === "raw") return value;
  const encoded = [...value]
    .map((ch) => {
      try {
        return encodeURIComponent(ch);
      } catch {
        return "%ED%A0%80"; // a lone surrogate, as the bytes of its (invalid) UTF-8 form
      }
    })
    .join("");
  return how === "double" ? encoded.replace(/%/g, "%25") : encoded;
}

function pathArbitrary(op: FuzzOperation, pools: Pools): fc.Arbitrary<Tagged<string>> {
  if (op.pathParams.length === 0) {
    return fc.oneof(
      { weight: 10, arbitrary: fc.constant<Tagged<string>>({ value: op.path, tags: [] }) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom("/", "//", "/.", "/%2e", ";x=1", "%00", "/../api/me")
          .map((suffix) => ({ value: op.path + suffix, tags: ["path:suffix"] })),
      },
    );
  }
  const segments = op.pathParams.map((param) =>
    fc
      .tuple(
        paramText(op, param, pools),
        fc.oneof(
          { weight: 8, arbitrary: fc.constant<"encoded">("encoded") },
          { weight: 2, arbitrary: fc.constant<"raw">("raw") },
          { weight: 1, arbitrary: fc.constant<"double">("double") },
        ),
      )
      .map(([text, how]) => ({
        name: param.name,
        value: encodeSegment(text.value, how),
        tags: text.tags.map((t) => `path:${param.name}:${t}${how === "encoded" ? "" : `:${how}`}`),
      })),
  );
  return fc.tuple(...segments).map((parts) => {
    let path = op.path;
    for (const part of parts) path = path.replace(`{${part.name}}`, part.value);
    return { value: path, tags: parts.flatMap((p) => p.tags) };
  });
}

// ---------------------------------------------------------------- query

function queryValue(param: FuzzParam): fc.Arbitrary<Tagged<string>> {
  if (param.schema.type === "integer") return integerText(param.schema);
  if (param.name === "lastEventId") return idText(["1", "254946314700193792"]);
  return stringFor(param.schema).map((s) => ({ ...s, value: s.value.slice(0, 10_000) }));
}

function encodeQuery(value: string): string {
  return encodeSegment(value, "encoded");
}

function queryArbitrary(op: FuzzOperation): fc.Arbitrary<Tagged<string>> {
  const known = op.queryParams.map((param) =>
    fc.option(
      fc
        .tuple(queryValue(param), fc.constantFrom("plain", "plain", "plain", "repeated", "array", "object"))
        .map(([v, shape]) => {
          const name = param.name;
          const value = encodeQuery(v.value);
          const text =
            shape === "repeated"
              ? `${name}=${value}&${name}=1`
              : shape === "array"
                ? `${name}[]=${value}`
                : shape === "object"
                  ? `${name}[a]=${value}`
                  : `${name}=${value}`;
          return {
            value: text,
            tags: v.tags.map((t) => `query:${name}:${t}${shape === "plain" ? "" : `:${shape}`}`),
          };
        }),
      { freq: 2 },
    ),
  );
  const unknown = fc.option(
    fc.oneof(
      fc
        .tuple(nastyString, nastyString)
        .map(([k, v]) => ({ value: `${encodeQuery(k)}=${encodeQuery(v)}`, tags: ["query:unknown"] })),
      fc
        .constantFrom(
          "__proto__[polluted]=1",
          "constructor[prototype][polluted]=1",
          "a[b][c][d][e][f][g][h]=1",
          "a[999999]=1",
          "a[]=1&a[]=2&a[x]=3",
          "=",
          "&&&",
          "%",
          "%zz=%zz",
          "a=%ED%A0%80",
          "x=" + "y".repeat(8000),
          Array.from({ length: 1500 }, (_, i) => `p${i}=1`).join("&"),
        )
        .map((value) => ({ value, tags: ["query:hostile"] })),
    ),
    { freq: 4 },
  );
  return fc.tuple(fc.tuple(...known), unknown).map(([parts, extra]) => {
    const present = [...parts, extra].filter((p): p is Tagged<string> => p !== null);
    return { value: present.map((p) => p.value).join("&"), tags: present.flatMap((p) => p.tags) };
  });
}

// ---------------------------------------------------------------- headers

function extraHeaders(op: FuzzOperation): fc.Arbitrary<Tagged<[string, string][]>> {
  const idempotency = op.headerParams.includes("Idempotency-Key")
    ? fc.option(
        fc.oneof(
          fc.uuid().map((k) => ({ value: k, tags: ["header:idempotency-key:valid"] })),
          fc
            .constantFrom(
              "",
              " ",
              "a".repeat(255),
              "a".repeat(256),
              '"quoted"',
              '"',
              "a b",
              "\u00e9",
              "k\tk",
              "same",
            )
            .map((k) => ({ value: k, tags: ["header:idempotency-key:edge"] })),
        ),
        { freq: 2 },
      )
    : fc.constant(null);
  const lastEventId = op.headerParams.includes("Last-Event-ID")
    ? fc.option(
        fc
          .constantFrom("1", "0", "-1", "abc", "", "99999999999999999999", "254946314700193792", " 1")
          .map((v) => ({
            value: v,
            tags: ["header:last-event-id"],
          })),
        { freq: 2 },
      )
    : fc.constant(null);
  const other = fc.option(
    fc.constantFrom<[string, string][]>(
      [["x-request-id", "a".repeat(200)]],
      [["x-request-id", "../../\u00e9"]],
      [["origin", "https://evil.example"]],
      [["x-forwarded-for", "1.2.3.4, garbage, ::1"]],
      [["accept", "text/html"]],
      [["accept-encoding", "gzip, br"]],
      [["content-encoding", "gzip"]],
      [["expect", "100-continue"]],
      [["range", "bytes=0-1"]],
      [["if-none-match", "*"]],
      [["x-http-method-override", "DELETE"]],
    ),
    { freq: 4 },
  );
  const acrm = fc.boolean();
  return fc
    .record({ idempotency, lastEventId, other, acrm })
    .map(({ idempotency, lastEventId, other, acrm }) => {
      const headers: [string, string][] = [];
      const tags: string[] = [];
      if (idempotency) {
        headers.push(["idempotency-key", idempotency.value]);
        tags.push(...idempotency.tags);
      }
      if (lastEventId) {
        headers.push(["last-event-id", lastEventId.value]);
        tags.push(...lastEventId.tags);
      }
      if (other) {
        headers.push(...other);
        tags.push(`header:${other[0]?.[0] ?? "?"}`);
      }
      if (acrm) tags.push("header:acrm");
      return { value: headers, tags };
    });
}

// ---------------------------------------------------------------- bodies

interface BodyPlan {
  bytes: Buffer | undefined;
  headers: [string, string][];
}

function noBody(tags: string[]): Tagged<BodyPlan> {
  return { value: { bytes: undefined, headers: [] }, tags };
}

function bodyArbitrary(op: FuzzOperation, pools: Pools): fc.Arbitrary<Tagged<BodyPlan>> {
  switch (op.body.kind) {
    case "json":
      return jsonBodyArbitrary(
        op.body.schema,
        pools,
        op.pathParams.map((p) => p.name),
      );
    case "multipart":
      return multipartArbitrary();
    case "stream":
      return streamBodyArbitrary();
    case "none":
      return fc.oneof(
        { weight: 6, arbitrary: fc.constant(noBody([])) },
        {
          weight: 2,
          arbitrary: jsonBodyArbitrary(
            { type: "object", properties: {} },
            pools,
            op.pathParams.map((p) => p.name),
          ),
        },
      );
  }
}

/** A field's value: of its type (valid, at its bounds, hostile) or of another type. */
function fieldValue(name: string, schema: JsonSchema, pools: Pools): fc.Arbitrary<Tagged<FuzzJson>> {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? "string"];
  if (name === "mediaIds" || name === "usernames" || types.includes("array")) {
    const item = fieldValue(name === "usernames" ? "username" : "mediaId", schema.items ?? {}, pools);
    const min = schema.minItems ?? 0;
    const max = schema.maxItems ?? 10;
    return fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .array(item, { minLength: Math.max(min, 1), maxLength: Math.min(max, 4) })
          .map((items) => ({
            value: items.map((i) => i.value),
            tags: ["array", ...items.flatMap((i) => i.tags)],
          })),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(Math.max(min - 1, 0), max, max + 1, 1000).chain((length) =>
          fc.array(item, { minLength: length, maxLength: length }).map((items) => ({
            value: items.map((i) => i.value),
            tags: ["array-bounds"],
          })),
        ),
      },
      {
        weight: 1,
        arbitrary: item.map((i) => ({ value: [i.value, i.value], tags: ["array-duplicates"] })),
      },
      { weight: 2, arbitrary: tagged("wrong-type", wrongTypeJson) },
      { weight: 1, arbitrary: item.map((i) => ({ value: i.value, tags: ["array-as-scalar"] })) },
    );
  }
  if (types.includes("integer") || types.includes("number")) return integerJson(schema);
  if (types.includes("boolean")) {
    return fc.oneof(
      { weight: 3, arbitrary: tagged("valid", fc.boolean()) },
      {
        weight: 1,
        arbitrary: tagged("boolean-ish", fc.constantFrom<FuzzJson>("true", "false", 0, 1, "yes", "")),
      },
      { weight: 1, arbitrary: tagged("wrong-type", wrongTypeJson) },
    );
  }
  let text: fc.Arbitrary<Tagged<string>>;
  if (name === "username" || name === "login") {
    text = fc.oneof(
      { weight: 3, arbitrary: tagged("real", fc.constantFrom(...pools.usernames)) },
      { weight: 3, arbitrary: stringFor(schema) },
    );
  } else if (name === "email") {
    text = fc.oneof(
      { weight: 3, arbitrary: tagged("valid", fc.emailAddress()) },
      { weight: 3, arbitrary: stringFor(schema) },
    );
  } else if (name === "password" || name === "filename" || name === "contentType") {
    text = fc.oneof(
      {
        weight: 2,
        arbitrary: tagged(
          "valid",
          fc.constantFrom(
            "image/jpeg",
            "image/png",
            "video/mp4",
            "correct horse battery",
            "a.jpg",
            "x".repeat(8),
          ),
        ),
      },
      { weight: 3, arbitrary: stringFor(schema) },
    );
  } else if (name === "sha256") {
    text = fc.oneof(
      { weight: 2, arbitrary: tagged("valid", validString(schema)) },
      { weight: 2, arbitrary: stringFor(schema) },
      {
        weight: 1,
        arbitrary: tagged(
          "upper-case",
          validString(schema).map((s) => s.toUpperCase()),
        ),
      },
    );
  } else if (name === "id" || name.endsWith("Id")) {
    const real =
      name === "postId"
        ? pools.postIds
        : name === "replyToId"
          ? pools.commentIds
          : name === "upToId"
            ? pools.ids
            : pools.mediaIds;
    text = idText(real);
  } else {
    text = stringFor(schema);
  }
  return fc.oneof(
    { weight: 6, arbitrary: text.map((t): Tagged<FuzzJson> => t) },
    { weight: 1, arbitrary: tagged("wrong-type", wrongTypeJson) },
  );
}

/** JSON bodies: of the schema's shape with mistakes in it, of another shape, or not JSON at all. */
function jsonBodyArbitrary(
  schema: JsonSchema,
  pools: Pools,
  pathParams: string[],
): fc.Arbitrary<Tagged<BodyPlan>> {
  const properties = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const fields = properties.map(([name, field]) =>
    fc.record({
      name: fc.constant(name),
      // Required fields are there most of the time; optional ones half of the time.
      present: required.has(name)
        ? fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })
        : fc.boolean(),
      value: fieldValue(name, field, pools),
    }),
  );
  const extra = fc.option(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(
          "__proto__",
          "constructor",
          "prototype",
          "",
          "id",
          "userId",
          "isAdmin",
          "role",
          "a".repeat(1000),
        ),
        nastyString,
      ),
      fc.oneof(fc.constant<FuzzJson>(new Pairs([["isAdmin", true]])), wrongTypeJson, nastyString),
    ),
    { freq: 4 },
  );
  const duplicate = fc.boolean();
  const shaped: fc.Arbitrary<Tagged<FuzzJson>> = fc
    .record({ fields: fc.tuple(...fields), extra, duplicate })
    .map(({ fields, extra, duplicate }) => {
      const pairs: [string, FuzzJson][] = [];
      const tags: string[] = [];
      for (const f of fields) {
        if (f.present) {
          pairs.push([f.name, f.value.value]);
          tags.push(...f.value.tags.map((t) => `body:${f.name}:${t}`));
        } else if (required.has(f.name)) tags.push("body:missing-required");
      }
      if (extra) {
        pairs.push(extra);
        // A path parameter's name is overwritten by the path's value; any other name is a field nobody declared.
        const known = properties.some(([name]) => name === extra[0]) || pathParams.includes(extra[0]);
        tags.push(
          extra[0] === "__proto__"
            ? "body:proto-key"
            : known
              ? "body:known-field-again"
              : "body:unknown-field",
        );
      }
      const first = pairs[0];
      if (duplicate && first) {
        pairs.push([first[0], "duplicate"]);
        tags.push("body:duplicate-key");
      }
      return { value: new Pairs(pairs), tags };
    });
  const otherShape: fc.Arbitrary<Tagged<FuzzJson>> = fc.oneof(
    tagged("body:wrong-shape", wrongTypeJson),
    tagged(
      "body:wrong-shape",
      fc.constantFrom<FuzzJson>(
        [new Pairs([])],
        new Pairs([["data", new Pairs([])]]),
        new Pairs(properties.map(([name]) => [name, null])),
      ),
    ),
  );
  const asJson = fc
    .tuple(fc.oneof({ weight: 8, arbitrary: shaped }, { weight: 1, arbitrary: otherShape }), contentType())
    .map(([json, type]) => ({
      value: { bytes: Buffer.from(toJsonText(json.value), "utf8"), headers: type.value },
      tags: [...json.tags, ...type.tags],
    }));
  const notJson = fc
    .tuple(
      fc
        .oneof(
          fc.constantFrom(
            "",
            "{",
            "}",
            "{]",
            "null",
            "[]",
            '"text"',
            "123",
            "true",
            "{'a':1}",
            '{"a":1,}',
            '{"a":undefined}',
            '{"a":NaN}',
            '{"a":1}garbage',
            "\uFEFF{}",
            "login=a&password=b",
            "<xml/>",
            "[".repeat(100_000),
            "[".repeat(5000) + "]".repeat(5000),
            '{"a":' + "1".repeat(100_000) + "}",
          ),
          hugeString,
          nastyString,
        )
        .map((text) => Buffer.from(text, "utf8")),
      fc.constantFrom(
        Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
        Buffer.from([0xc0, 0x80]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]),
        Buffer.alloc(1024 * 1024 + 10, 0x20),
        Buffer.from(`{"pad":"${"x".repeat(1024 * 1024)}"}`),
      ),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    )
    .chain(([text, special, random]) => fc.constantFrom(text, special, random))
    .chain((bytes) =>
      contentType().map((type) => ({
        value: { bytes, headers: type.value },
        tags: ["body:not-json", ...type.tags],
      })),
    );
  const none = fc.constant(noBody(["body:absent"]));
  return fc.oneof(
    { weight: 10, arbitrary: asJson },
    { weight: 2, arbitrary: notJson },
    { weight: 1, arbitrary: none },
  );
}

function contentType(): fc.Arbitrary<Tagged<[string, string][]>> {
  const header = (type: string, tags: string[]): Tagged<[string, string][]> => ({
    value: [["content-type", type]],
    tags,
  });
  return fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...JSON_TYPES).map((t) => header(t, [])) },
    { weight: 2, arbitrary: fc.constantFrom(...OTHER_TYPES).map((t) => header(t, ["content-type:wrong"])) },
    {
      weight: 1,
      arbitrary: fc.constant<Tagged<[string, string][]>>({ value: [], tags: ["content-type:missing"] }),
    },
  );
}

const BOUNDARY = "fuzzBoundary7MA4YWxk";
/** A real photo (the fixture): a clean upload is transcoded for real (the same bytes again are deduplicated). */
const PHOTO = readFileSync(nodePath.resolve(__dirname, "../../fixtures/image.png"));

function multipartForm(
  parts: { name: string; filename?: string; type: string; content: Buffer }[],
  boundary = BOUNDARY,
): Buffer {
  return Buffer.concat([
    ...parts.map((p) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"` +
            (p.filename === undefined ? "" : `; filename="${p.filename}"`) +
            `\r\nContent-Type: ${p.type}\r\n\r\n`,
          "utf8",
        ),
        p.content,
        Buffer.from("\r\n"),
      ]),
    ),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
}

function multipartArbitrary(): fc.Arbitrary<Tagged<BodyPlan>> {
  const boundary = BOUNDARY;
  const part = (name: string, filename: string | undefined, type: string, content: Buffer) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"` +
          (filename === undefined ? "" : `; filename="${filename}"`) +
          `\r\nContent-Type: ${type}\r\n\r\n`,
        "utf8",
      ),
      content,
      Buffer.from("\r\n"),
    ]);
  const end = Buffer.from(`--${boundary}--\r\n`);
  const fileContent = fc.oneof(
    fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
    fc.constantFrom(
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]),
      Buffer.from("\x89PNG\r\n\x1a\n", "latin1"),
      Buffer.from("GIF89a"),
      Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x6d, 0x70, 0x34, 0x32]),
      Buffer.alloc(0),
      Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
    ),
  );
  const claimed = fc.constantFrom(
    "image/png",
    "image/jpeg",
    "video/mp4",
    "image/svg+xml",
    "text/plain",
    "",
    "a/b/c",
  );
  const filename = fc.oneof(
    fc.constantFrom("a.png", "../../etc/passwd", "", "a\u0000.png", "\u202Egnp.exe", "x".repeat(1000)),
    nastyString.map((s) => s.replace(/["\r\n]/g, "")),
  );
  const form = fc
    .record({
      content: fileContent,
      type: claimed,
      filename,
      shape: fc.constantFrom(
        "one",
        "one",
        "one",
        "two-files",
        "wrong-field",
        "text-field",
        "truncated",
        "no-end",
      ),
    })
    .map(({ content, type, filename, shape }): Tagged<BodyPlan> => {
      const file = part("file", filename, type, content);
      const bytes =
        shape === "two-files"
          ? Buffer.concat([file, part("file", "b.png", type, content), end])
          : shape === "wrong-field"
            ? Buffer.concat([part("photo", filename, type, content), end])
            : shape === "text-field"
              ? Buffer.concat([part("caption", undefined, "text/plain", Buffer.from("hi")), file, end])
              : shape === "truncated"
                ? file.subarray(0, Math.floor(file.length / 2))
                : shape === "no-end"
                  ? file
                  : Buffer.concat([file, end]);
      return {
        value: { bytes, headers: [["content-type", `multipart/form-data; boundary=${boundary}`]] },
        tags: [`multipart:${shape}`],
      };
    });
  const broken = fc
    .tuple(
      fc.constantFrom(
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=other",
        "multipart/form-data; boundary=" + "b".repeat(200),
        "multipart/mixed; boundary=" + boundary,
        "application/json",
        "image/png",
      ),
      fc.oneof(
        fc.constant(Buffer.concat([part("file", "a.png", "image/png", Buffer.from("abc")), end])),
        fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
        fc.constant(Buffer.from("{}")),
      ),
    )
    .map(([type, bytes]) => ({
      value: { bytes, headers: [["content-type", type]] as [string, string][] },
      tags: ["multipart:broken"],
    }));
  return fc.oneof(
    { weight: 5, arbitrary: form },
    { weight: 3, arbitrary: broken },
    {
      weight: 1,
      arbitrary: fc.constant(noBody(["body:absent"])),
    },
  );
}

function streamBodyArbitrary(): fc.Arbitrary<Tagged<BodyPlan>> {
  return fc
    .tuple(
      fc.oneof(
        fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b)),
        fc.constantFrom(
          Buffer.alloc(0),
          Buffer.alloc(3000, 1),
          Buffer.alloc(3001, 1),
          Buffer.alloc(200_000, 7),
        ),
      ),
      fc.constantFrom(
        "application/octet-stream",
        "application/json",
        "text/plain",
        "",
        "multipart/form-data",
      ),
    )
    .map(([bytes, type]) => ({
      value: { bytes, headers: type === "" ? [] : ([["content-type", type]] as [string, string][]) },
      tags: [`stream:${bytes.length === 0 ? "empty" : bytes.length > 4096 ? "large" : "bytes"}`],
    }));
}

/** Requests for paths no operation has: random segments under /api and elsewhere, with any method. */
export function unknownRouteArbitrary(): fc.Arbitrary<FuzzRequest> {
  const segment = fc.oneof(
    fc.constantFrom(
      "api",
      "users",
      "posts",
      "me",
      "..",
      ".",
      "%2e%2e",
      "%2F",
      "%",
      "",
      "admin",
      "$node",
      "~node",
    ),
    nastyString.map((s) => encodeSegment(s, "encoded")),
  );
  const routed = fc
    .record({
      prefix: fc.constantFrom("/api/", "/", "/api//", "/API/", "/health/", "/media/"),
      segments: fc.array(segment, { minLength: 0, maxLength: 5 }),
      method: fc.constantFrom(...METHODS, ...ODD_METHODS),
      raw: fc.constantFrom<Transport>("fetch", "raw"),
    })
    .map(({ prefix, segments, method, raw }) => ({ target: prefix + segments.join("/"), method, raw }));
  // Request targets in the forms fetch never sends: absolute, authority, asterisk, relative, raw bytes.
  const oddTargets = fc
    .record({
      target: fc.constantFrom(
        "*",
        "http://127.0.0.1/api/me",
        "https://evil.example/api/me",
        "//evil.example/api/me",
        "api/me",
        "127.0.0.1:80",
        "/api/me#fragment",
        "/api/me?",
        "/api/me?&",
        "/api/\u00e9\u00e8",
        "/api/users/\u0000",
        "/\u202Eapi",
      ),
      method: fc.constantFrom("GET", "OPTIONS", "POST", "CONNECT"),
    })
    .map(({ target, method }): { target: string; method: string; raw: Transport } => ({
      target,
      method,
      raw: "raw",
    }));
  return fc
    .record({
      request: fc.oneof({ weight: 4, arbitrary: routed }, { weight: 1, arbitrary: oddTargets }),
      token: fc.constantFrom<TokenKind>("valid", "none", "malformed"),
      tokenIndex: fc.nat({ max: 63 }),
    })
    .map(({ request, token, tokenIndex }) => ({
      op: "ANY unknown route",
      method: request.method,
      target: request.target,
      headers: [],
      body: undefined,
      token,
      tokenIndex,
      transport: request.raw,
      tokenInQuery: false,
      wrongMethod: false,
      tags: [
        "route:unknown",
        `token:${token}`,
        ...(request.raw === "fetch" ? [] : [`transport:${request.raw}`]),
      ],
    }));
}
