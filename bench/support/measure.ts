import http from "node:http";

/**
 * Small measuring tools shared by bench/likes.ts and bench/stream.ts: a keep-alive HTTP client that times each
 * request with performance.now(), a closed-loop runner (a fixed number of requests, a fixed number in flight),
 * percentiles, and a server-sent events reader that stamps every event with its arrival time.
 */

export interface Answer {
  status: number;
  body: string;
  /** The Retry-After header, when the answer has one. */
  retryAfter?: string;
  /** performance.now() when the request was sent and when its answer had been read in full. */
  startedAt: number;
  answeredAt: number;
}

export interface RequestSpec {
  method: string;
  path: string;
  token?: string;
  body?: unknown;
}

/** One keep-alive connection pool to one origin. */
export class Client {
  private readonly agent: http.Agent;
  private readonly origin: URL;

  constructor(baseUrl: string, sockets: number) {
    this.origin = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  request(spec: RequestSpec): Promise<Answer> {
    const payload = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
    const headers: Record<string, string | number> = { accept: "application/json" };
    if (spec.token !== undefined) headers.authorization = `Bearer ${spec.token}`;
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const startedAt = performance.now();
      const req = http.request(
        {
          host: this.origin.hostname,
          port: this.origin.port,
          method: spec.method,
          path: spec.path,
          headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString("utf8"),
              ...(res.headers["retry-after"] !== undefined && { retryAfter: res.headers["retry-after"] }),
              startedAt,
              answeredAt: performance.now(),
            }),
          );
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface RunResult {
  count: number;
  seconds: number;
  /** Milliseconds, in completion order. */
  latencies: number[];
}

/** Runs task(0) … task(count - 1), `concurrency` at a time, and times each one and the whole. */
export async function runPool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<RunResult> {
  const latencies: number[] = [];
  let next = 0;
  const began = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await task(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { count, seconds: (performance.now() - began) / 1000, latencies };
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  min: number;
}

export function summarise(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    min: sorted[0] ?? Number.NaN,
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** Milliseconds with two decimals, for tables. */
export function ms(value: number): number {
  return Math.round(value * 100) / 100;
}

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
  /** performance.now() when the chunk that completed the event arrived. */
  at: number;
}

export interface SseStream {
  status: number;
  /** Called for every event as it is parsed. */
  onEvent: (listener: (event: SseEvent) => void) => void;
  close(): void;
}

/** Opens a server-sent events stream on its own connection (not pooled) and parses it as chunks arrive. */
export function openSse(baseUrl: string, path: string, token?: string): Promise<SseStream> {
  const origin = new URL(baseUrl);
  const listeners: ((event: SseEvent) => void)[] = [];
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: origin.hostname,
        port: origin.port,
        path,
        agent: false,
        headers: {
          accept: "text/event-stream",
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        let buffer = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          const at = performance.now();
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = parseBlock(block, at);
            if (event) for (const listener of listeners) listener(event);
          }
        });
        res.on("error", () => undefined);
        resolve({
          status: res.statusCode ?? 0,
          onEvent: (listener) => listeners.push(listener),
          close: () => {
            res.destroy();
            req.destroy();
          },
        });
      },
    );
    req.on("error", reject);
  });
}

function parseBlock(block: string, at: number): SseEvent | undefined {
  const fields: Record<string, string> = {};
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
  }
  if (fields.data === undefined) return undefined;
  return { id: fields.id, event: fields.event ?? "message", data: fields.data, at };
}
