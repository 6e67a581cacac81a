import { createHash } from "node:crypto";
import { InvalidIdempotencyKeyError } from "./errors";

const MAX_KEY_LENGTH = 255;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * The key of an `Idempotency-Key` header, or undefined without one. The IETF draft makes the value a structured
 * field string (`"…"`), while Stripe and most clients send it bare; both are taken, and name the same key.
 */
export function parseIdempotencyKey(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  // Node joins repeated headers it does not know; an array only comes from a caller that kept them apart.
  if (typeof header !== "string") throw new InvalidIdempotencyKeyError();
  const value = header.trim();
  const key = value.startsWith('"') ? unquote(value) : value;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !PRINTABLE_ASCII.test(key)) {
    throw new InvalidIdempotencyKeyError();
  }
  return key;
}

/** An RFC 8941 sf-string: printable ASCII in double quotes, where only `\"` and `\\` are escapes. */
function unquote(value: string): string {
  let key = "";
  for (let i = 1; i < value.length; i++) {
    const c = value[i];
    if (c === '"') {
      if (i !== value.length - 1) break;
      return key;
    }
    if (c === "\\") {
      const next = value[++i];
      if (next !== '"' && next !== "\\") break;
      key += next;
    } else key += c;
  }
  throw new InvalidIdempotencyKeyError();
}

/**
 * What a request's body contributes to its fingerprint. A JSON body counts by value (key order and spacing do
 * not matter). A file upload counts by its media type and declared length only: hashing its bytes would mean
 * reading the whole file before deciding whether to run or replay it, which is what streaming uploads avoid. The
 * multipart boundary is left out, since clients pick a new one for each attempt.
 */
export type FingerprintBody =
  | { kind: "json"; value: unknown }
  | { kind: "stream"; contentType: string | undefined; contentLength: string | undefined };

/** A sha256 of what makes two requests the same request: method, path and body. */
export function requestFingerprint(method: string, path: string, body: FingerprintBody): string {
  const described =
    body.kind === "json"
      ? `json\n${canonicalJson(body.value)}`
      : `stream\n${mediaTypeOf(body.contentType)}\n${body.contentLength ?? "chunked"}`;
  return createHash("sha256").update(`${method.toUpperCase()}\n${path}\n${described}`).digest("hex");
}

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** JSON with object keys sorted at every level, so equal values serialise alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item: unknown) => canonicalJson(item)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
