import { PortError } from "../../errors/port-error";

/**
 * The parts of OpenSearch's answers the adapter reads, parsed from `unknown`: the client types every body as
 * `any`, and an answer of another shape (a proxy's error page, another product) must fail loudly here rather than
 * as an undefined deep inside the adapter.
 */

/** The engine answered 2xx with a body of another shape: another product or version, not an outage. */
export class UnexpectedSearchResponseError extends PortError {
  override readonly name = "UnexpectedSearchResponseError";
  readonly retryable = false;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function object(value: unknown, what: string): Json {
  if (!isObject(value)) throw new UnexpectedSearchResponseError(`${what}: expected an object`);
  return value;
}

function array(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new UnexpectedSearchResponseError(`${what}: expected an array`);
  return value as unknown[];
}

function string(value: unknown, what: string): string {
  if (typeof value !== "string") throw new UnexpectedSearchResponseError(`${what}: expected a string`);
  return value;
}

function number(value: unknown, what: string): number {
  if (typeof value !== "number") throw new UnexpectedSearchResponseError(`${what}: expected a number`);
  return value;
}

/** An error body: `{ error: { type, reason, ... }, status }` (or, from some proxies, a bare string). */
export interface EngineErrorCause {
  type: string;
  reason: string;
}

export function errorCauseOf(body: unknown): EngineErrorCause | undefined {
  if (!isObject(body)) return undefined;
  const error = body.error;
  if (typeof error === "string") return { type: "error", reason: error };
  if (!isObject(error)) return undefined;
  return {
    type: typeof error.type === "string" ? error.type : "error",
    reason: typeof error.reason === "string" ? error.reason : "",
  };
}

export interface BulkItemOutcome {
  action: string;
  index: string | undefined;
  id: string | undefined;
  status: number;
  error: EngineErrorCause | undefined;
}

/** `_bulk`: one outcome per action, in request order. */
export function parseBulk(body: unknown): BulkItemOutcome[] {
  const items = array(object(body, "bulk").items, "bulk.items");
  return items.map((item, i) => {
    const entry = Object.entries(object(item, `bulk.items[${i}]`))[0];
    if (entry === undefined) throw new UnexpectedSearchResponseError(`bulk.items[${i}]: empty`);
    const [action, result] = entry;
    const outcome = object(result, `bulk.items[${i}].${action}`);
    const error = outcome.error === undefined ? undefined : errorCauseOf({ error: outcome.error });
    return {
      action,
      index: typeof outcome._index === "string" ? outcome._index : undefined,
      id: typeof outcome._id === "string" ? outcome._id : undefined,
      status: number(outcome.status, `bulk.items[${i}].status`),
      error,
    };
  });
}

export interface SearchHit {
  id: string;
  source: Json | undefined;
}

/** `_search`: the hits of the page, in rank order. */
export function parseSearchHits(body: unknown): SearchHit[] {
  const hits = array(object(object(body, "search").hits, "search.hits").hits, "search.hits.hits");
  return hits.map((hit, i) => {
    const h = object(hit, `search.hits.hits[${i}]`);
    return {
      id: string(h._id, `search.hits.hits[${i}]._id`),
      source: isObject(h._source) ? h._source : undefined,
    };
  });
}

/** `_count`. */
export function parseCount(body: unknown): number {
  return number(object(body, "count").count, "count.count");
}

/**
 * `GET <pattern>/_alias`: every index matching the pattern with the names of its aliases (an index without
 * aliases is listed with none).
 */
export function parseAliases(body: unknown): Map<string, string[]> {
  const indices = new Map<string, string[]>();
  for (const [index, entry] of Object.entries(object(body, "aliases"))) {
    const aliases = object(object(entry, `aliases.${index}`).aliases ?? {}, `aliases.${index}.aliases`);
    indices.set(index, Object.keys(aliases));
  }
  return indices;
}

/** `_cluster/health`: green, yellow or red. */
export function healthStatusOf(body: unknown): string {
  return string(object(body, "health").status, "health.status");
}
