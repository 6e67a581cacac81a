import { session, signOut } from "./session";
import { plural } from "../text";
import type { Page } from "./types";

/** An answer that was not a success, with the message the API gave: the UI shows `message` to the person. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

interface RequestOptions {
  /** A JSON body; a Blob is sent as raw bytes (upload parts). */
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
  /** Another token than the session's: the one kept from the last visit, before it is known to work. */
  token?: string;
}

/** How often a request refused as OVERLOADED is sent again before its refusal is shown. */
const OVERLOAD_RETRIES = 2;
/** The longest wait before sending one again, whatever Retry-After says. */
const MAX_OVERLOAD_WAIT_MS = 5_000;

/**
 * How long to wait before sending a request again, when the gateway refused it as OVERLOADED: such a request never
 * ran, so sending it again is safe whatever its method (unlike a 503 from a node that failed mid-request). Waits
 * Retry-After and up to half as long again, so that clients refused together do not all come back together.
 */
async function overloadWaitMs(res: Response): Promise<number | undefined> {
  if (res.status !== 503) return undefined;
  const envelope = parse(await res.clone().text()) as { error?: { code?: unknown } } | undefined;
  if (envelope?.error?.code !== "OVERLOADED") return undefined;
  const seconds = retryAfterSeconds(res) ?? 1;
  return Math.min(MAX_OVERLOAD_WAIT_MS, seconds * 1000 * (1 + Math.random() / 2));
}

/** Retry-After in seconds, when the answer gives a usable one. */
function retryAfterSeconds(res: Response): number | undefined {
  return Number(res.headers.get("Retry-After") ?? "") || undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException("aborted", "AbortError"));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DOMException("aborted", "AbortError"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Calls the REST API with the session's token. A 401 ends the session (the app goes back to sign-in); a request the
 * gateway refused as OVERLOADED is sent again after Retry-After, twice at most.
 */
export async function api<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = {};
  const token = options.token ?? session.value?.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (options.body instanceof Blob) {
    body = options.body;
    headers["Content-Type"] = "application/octet-stream";
  } else if (options.body instanceof FormData) {
    body = options.body;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  let res: Response;
  for (let attempt = 0; ; attempt++) {
    try {
      res = await fetch(withQuery(`/api${path}`, options.query), {
        method,
        headers,
        body,
        signal: options.signal,
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") throw err;
      throw new ApiError(0, "NETWORK", "Mosaic cannot be reached: check your connection and try again.");
    }
    const wait = attempt < OVERLOAD_RETRIES ? await overloadWaitMs(res) : undefined;
    if (wait === undefined) break;
    await sleep(wait, options.signal);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const json = parse(text);
  if (res.ok) return json as T;
  throw errorOf(res, json, token);
}

/** One page of a list route. */
export function page<T>(path: string, cursor?: string | null, limit = 20): Promise<Page<T>> {
  return api<Page<T>>("GET", path, { query: { limit, cursor: cursor ?? undefined } });
}

function errorOf(res: Response, json: unknown, token: string | undefined): ApiError {
  const envelope = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
    ?.error;
  const code = typeof envelope?.code === "string" ? envelope.code : `HTTP_${res.status}`;
  let message =
    typeof envelope?.message === "string" ? envelope.message : `The server answered ${res.status}.`;
  if (res.status === 401 && token !== undefined) {
    // A token that stopped working (signed out elsewhere, expired): back to sign-in.
    signOut("Your session has ended: please sign in again.");
  }
  let retryAfter: number | undefined;
  if (res.status === 429) {
    retryAfter = retryAfterSeconds(res);
    message = retryAfter
      ? `Too many requests: try again in ${plural(retryAfter, "second")}.`
      : "Too many requests: try again in a moment.";
  }
  return new ApiError(res.status, code, message, retryAfter, envelope?.details);
}

function parse(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function withQuery(path: string, query: RequestOptions["query"]): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const qs = params.toString();
  return qs === "" ? path : `${path}?${qs}`;
}

/** The message to show for anything thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return "Something went wrong. Please try again.";
}
