import net from "node:net";
import fc from "fast-check";
import { FRESH_MEDIA, type FuzzRequest } from "./requests";
import type { FuzzWorld } from "./world";

/** What came back, whichever way the request went. */
export interface FuzzAnswer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Buffer;
  /** A `text/event-stream` answer, cut after its head. */
  eventStream: boolean;
  ms: number;
}

/** The failure of a request to get any answer in time (or at all). */
export class NoAnswer extends Error {}

export const ANSWER_TIMEOUT_MS = Number(process.env.FUZZ_TIMEOUT_MS ?? 10_000);

const EVENT_STREAM = /^text\/event-stream/i;

/** Where requests go, and the Authorization header a request's token kind stands for (undefined: none). */
export interface Endpoint {
  url: string;
  authorization(req: FuzzRequest): Promise<string | undefined>;
  /** Uploads a photo of the caller's for a body that names FRESH_MEDIA. */
  freshMedia?: () => Promise<string>;
}

export function worldEndpoint(world: FuzzWorld): Endpoint {
  return {
    url: world.t.url,
    freshMedia: world.freshMedia,
    async authorization(req) {
      switch (req.token) {
        case "valid":
          // Signing out ends the session it names: such requests get a session of their own.
          return `Bearer ${req.op === "POST /api/auth/logout" ? await world.freshToken() : world.me.token}`;
        case "valid-other":
          return `Bearer ${world.other.token}`;
        case "none":
          return undefined;
        default: {
          const pool = world.tokens[req.token];
          return pool[req.tokenIndex % pool.length];
        }
      }
    },
  };
}

/** Sends one request with fetch (or on a bare socket), bounded by `timeoutMs`. */
export async function send(
  endpoint: Endpoint,
  req: FuzzRequest,
  timeoutMs = ANSWER_TIMEOUT_MS,
): Promise<FuzzAnswer> {
  const headers: [string, string][] = [...req.headers];
  const auth = await endpoint.authorization(req);
  let target = req.target;
  if (auth !== undefined && req.tokenInQuery) {
    // `?access_token=`: what follows "Bearer " (or the whole value of a malformed header).
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : auth;
    target += `${target.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(token)}`;
  } else if (auth !== undefined) headers.push(["authorization", auth]);
  let body = req.body;
  if (body !== undefined && endpoint.freshMedia !== undefined && body.includes(FRESH_MEDIA)) {
    let text = body.toString("utf8");
    while (text.includes(FRESH_MEDIA)) text = text.replace(FRESH_MEDIA, await endpoint.freshMedia());
    body = Buffer.from(text, "utf8");
  }
  const sent = { ...req, target, body };
  // undici's fetch refuses `Expect` outright: such requests go on the socket.
  if (req.transport === "fetch" && !headers.some(([name]) => name.toLowerCase() === "expect")) {
    try {
      return await sendWithFetch(endpoint.url, sent, headers, timeoutMs);
    } catch (err: unknown) {
      // fetch refuses some of what the fuzzer makes (header bytes, a body on some methods): send those raw.
      if (!(err instanceof TypeError) || err.message.includes("fetch failed")) throw err;
    }
  }
  return sendRaw(endpoint.url, sent, headers, timeoutMs);
}

async function sendWithFetch(
  base: string,
  req: FuzzRequest,
  headers: [string, string][],
  timeoutMs: number,
): Promise<FuzzAnswer> {
  const controller = new AbortController();
  const started = Date.now();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(base + req.target, {
      method: req.method,
      headers,
      ...(req.body !== undefined && { body: req.body }),
      signal: controller.signal,
      redirect: "manual",
    });
    const answerHeaders: Record<string, string> = {};
    res.headers.forEach((value, name) => (answerHeaders[name] = value));
    if (EVENT_STREAM.test(answerHeaders["content-type"] ?? "")) {
      controller.abort();
      return {
        status: res.status,
        headers: answerHeaders,
        body: Buffer.alloc(0),
        eventStream: true,
        ms: Date.now() - started,
      };
    }
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: answerHeaders, body, eventStream: false, ms: Date.now() - started };
  } catch (err: unknown) {
    if (controller.signal.aborted) throw new NoAnswer(`no answer within ${timeoutMs} ms`);
    if (err instanceof TypeError && err.message === "fetch failed") {
      throw new NoAnswer(`the connection failed: ${String(err.cause)}`);
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** HTTP/1.1 on a bare socket, `Connection: close`, bytes as given (UTF-8 for the head). */
export function sendRaw(
  base: string,
  req: FuzzRequest,
  headers: [string, string][],
  timeoutMs = ANSWER_TIMEOUT_MS,
): Promise<FuzzAnswer> {
  const { hostname, port } = new URL(base);
  const started = Date.now();
  const body = req.body;
  const chunked =
    body !== undefined && (req.transport === "raw-chunked" || req.transport === "raw-bad-chunked");
  const framing =
    body === undefined
      ? []
      : chunked
        ? ["transfer-encoding: chunked"]
        : // A body that stops short of its length: the rest never comes (the idle timeout cuts it).
          [`content-length: ${body.length + (req.transport === "raw-short-body" ? 10 : 0)}`];
  const lines = [
    `${req.method} ${req.target} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    "connection: close",
    ...headers.map(([name, value]) => `${name}: ${value}`),
    ...framing,
  ];
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "utf8");
  const payload =
    body === undefined
      ? Buffer.alloc(0)
      : !chunked
        ? body
        : body.length === 0
          ? Buffer.from("0\r\n\r\n")
          : req.transport === "raw-bad-chunked"
            ? Buffer.concat([
                Buffer.from(`zz${body.length.toString(16)}\r\n`),
                body,
                Buffer.from("\r\n0\r\n\r\n"),
              ])
            : Buffer.concat([
                Buffer.from(`${body.length.toString(16)}\r\n`),
                body,
                Buffer.from("\r\n0\r\n\r\n"),
              ]);
  return new Promise<FuzzAnswer>((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (result: FuzzAnswer | Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => finish(new NoAnswer(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseHead(received);
      if (parsed && EVENT_STREAM.test(parsed.headers["content-type"] ?? "")) {
        finish({ ...parsed, body: Buffer.alloc(0), eventStream: true, ms: Date.now() - started });
      }
    });
    // The server may close while the body is still going out (an early 413): what it answered still counts.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      const parsed = parseHead(received);
      if (!parsed) {
        finish(new NoAnswer(`the connection closed without an answer (${received.length} bytes)`));
        return;
      }
      const rest = received.subarray(parsed.headLength);
      const body = /chunked/i.test(parsed.headers["transfer-encoding"] ?? "") ? dechunk(rest) : rest;
      finish({
        status: parsed.status,
        headers: parsed.headers,
        body,
        eventStream: false,
        ms: Date.now() - started,
      });
    });
    socket.write(Buffer.concat([head, payload]), () => undefined);
  });
}

function parseHead(
  bytes: Buffer,
): { status: number; headers: Record<string, string>; headLength: number } | undefined {
  // Interim answers (`100 Continue` to an `Expect`) come before the final one: skip them.
  let start = 0;
  while (/^HTTP\/1\.[01] 1\d\d /.test(bytes.subarray(start, start + 13).toString("latin1"))) {
    const interimEnd = bytes.indexOf("\r\n\r\n", start);
    if (interimEnd < 0) return undefined;
    start = interimEnd + 4;
  }
  const end = bytes.indexOf("\r\n\r\n", start);
  if (end < 0) return undefined;
  const [statusLine = "", ...lines] = bytes.subarray(start, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, headLength: end + 4 };
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- the properties of one answer

const SNAKE = /^[A-Z][A-Z0-9_]*$/;

/** Codes a request without a valid token may get on a route that needs one: nothing that an action decides. */
const BEFORE_AUTH_CODES = new Set([
  "UNAUTHORIZED",
  "NOT_FOUND",
  "INVALID_JSON",
  "UNABLE_DECODE_PARAM",
  "BAD_REQUEST",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "REQUEST_TIMEOUT",
  "REQUEST_HEADER_FIELDS_TOO_LARGE",
  "MALFORMED_REQUEST",
  "INVALID_LAST_EVENT_ID",
]);

export interface CheckContext {
  /** Texts that must never show in an answer: the repository's and the node's data folder's paths. */
  secrets: string[];
  /** Whether the body may name files (`/metrics`): only a stack trace is a failure there. */
  internalPathsAllowed?: boolean;
  /** Whether the operation needs a token. */
  auth: boolean;
  /** Whether the path is one of the API (JSON answers) or the ops JSON endpoints. */
  jsonPath: boolean;
}

/** The properties every answer has; returns what is wrong (empty: nothing). */
export function problemsOf(req: FuzzRequest, answer: FuzzAnswer, context: CheckContext): string[] {
  const problems: string[] = [];
  const text = answer.body.toString("utf8");
  const requestText = `${req.target}\n${req.headers.map((h) => h.join(":")).join("\n")}\n${req.body?.toString("utf8") ?? ""}`;
  const type = answer.headers["content-type"] ?? "";
  const isJson = /^application\/json/i.test(type);

  if (!(answer.status >= 100 && answer.status < 500))
    problems.push(`status ${answer.status} (a 5xx or no status)`);
  const needles = context.internalPathsAllowed === true ? [] : ["/work/", "node_modules", ...context.secrets];
  for (const needle of ["    at ", ...needles]) {
    if (text.includes(needle) && !requestText.includes(needle)) {
      problems.push(`the body shows ${JSON.stringify(needle)} (a stack trace or an internal path)`);
    }
  }
  const hasBody = req.method !== "HEAD";
  if (answer.status >= 400 && hasBody) {
    if (!isJson) problems.push(`a ${answer.status} without a JSON content type (${JSON.stringify(type)})`);
    const envelope = parseJson(text);
    if (!isEnvelope(envelope)) problems.push(`a ${answer.status} without the error envelope`);
  }
  if (answer.status === 204 && answer.body.length > 0) problems.push("a 204 with a body");
  if (
    answer.status >= 200 &&
    answer.status < 300 &&
    answer.status !== 204 &&
    hasBody &&
    !answer.eventStream
  ) {
    if (context.jsonPath) {
      if (!isJson) problems.push(`a ${answer.status} without a JSON content type (${JSON.stringify(type)})`);
      else if (parseJson(text) === undefined) problems.push(`a ${answer.status} whose body is not JSON`);
    }
  }
  if (req.wrongMethod && answer.status < 400) {
    problems.push(
      `${req.method} is no method of this path, yet it answered ${answer.status} (an action ran)`,
    );
  }
  const undeclared = req.tags.includes("body:unknown-field") || req.tags.includes("body:proto-key");
  if (undeclared && req.body !== undefined && answer.status < 400) {
    problems.push(
      `a JSON body with a field nobody declared was accepted (${answer.status}): api.md says 400`,
    );
  }
  const unauthenticated = req.token !== "valid" && req.token !== "valid-other";
  if (context.auth && unauthenticated && !req.wrongMethod) {
    const code = errorCodeOf(parseJson(text));
    // The JSON reader refuses a `__proto__` field itself, before authentication, as the unknown field it is.
    const edgeRefusal = code === "VALIDATION_FAILED" && text.includes('"field":"__proto__"');
    if (answer.status < 400 || (code !== undefined && !BEFORE_AUTH_CODES.has(code) && !edgeRefusal)) {
      problems.push(`without a valid token (${req.token}) it answered ${answer.status} ${code ?? ""}`.trim());
    }
  }
  return problems;
}

function parseJson(text: string): unknown {
  try {
    return text.length > 0 ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

function isEnvelope(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  if (Object.keys(value).join() !== "error" || !("error" in value)) return false;
  const error = value.error;
  if (typeof error !== "object" || error === null) return false;
  const keys = Object.keys(error);
  if (!keys.every((k) => k === "code" || k === "message" || k === "details")) return false;
  return (
    "code" in error &&
    typeof error.code === "string" &&
    SNAKE.test(error.code) &&
    "message" in error &&
    typeof error.message === "string"
  );
}

function errorCodeOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || !("error" in value)) return undefined;
  const error = value.error;
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}

// ---------------------------------------------------------------- reports

function clip(text: string, max = 300): string {
  const shown = JSON.stringify(text.length > max ? text.slice(0, max) : text);
  return text.length > max ? `${shown}… (${text.length} chars)` : shown;
}

/** A request as a report shows it: long values cut, bytes that are not text counted. */
export function describeRequest(req: FuzzRequest): string {
  const body =
    req.body === undefined ? "(none)" : `${req.body.length} bytes ${clip(req.body.toString("utf8"), 200)}`;
  return [
    `${req.method} ${clip(req.target, 300)}${req.transport === "fetch" ? "" : ` (${req.transport})`}`,
    `token: ${req.token}#${req.tokenIndex}${req.tokenInQuery ? " in the query" : ""}`,
    `headers: ${clip(JSON.stringify(req.headers), 300)}`,
    `body: ${body}`,
    `kinds: ${req.tags.join(", ")}`,
  ].join("\n    ");
}

export function describeAnswer(answer: FuzzAnswer): string {
  return `${answer.status} ${answer.headers["content-type"] ?? "(no content type)"} ${clip(answer.body.toString("utf8"), 400)} in ${answer.ms} ms`;
}

/** Lets fast-check print a generated request readably in its counterexample. */
export function printable(req: FuzzRequest): FuzzRequest {
  return Object.assign(req, { [fc.toStringMethod]: () => `\n    ${describeRequest(req)}\n` });
}
