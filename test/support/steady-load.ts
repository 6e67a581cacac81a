import http from "node:http";

/**
 * A steady load through several gateway nodes, balanced the way a load balancer that honours readiness does, for
 * tests that stop a node under it. Requests go over node:http with keep-alive and no retry of any kind: a refused
 * connection or a reset keep-alive socket is a failed request, as it is for a client behind a plain proxy.
 */

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request, never retried. Rejects on a refused, reset or cut connection. */
export function send(
  agent: http.Agent | false,
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<Answer> {
  const url = new URL(path, baseUrl);
  const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  const headers: http.OutgoingHttpHeaders = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (body) {
    headers["content-type"] = "application/json";
    headers["content-length"] = body.length;
  }
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

interface Probe {
  at: number;
  status: number | undefined;
  error: string | undefined;
  missing: string[];
}

/**
 * Sends each request to the next gateway in rotation. Every gateway's `/health/ready` is polled on a fresh
 * connection (as a kubelet or a balancer's health check does); after `failuresToEject` answers in a row that are
 * not 200, the gateway leaves the rotation for good. The first time a gateway says it is not ready, one API
 * request is sent to it, to see whether it still serves.
 */
export class ReadinessBalancer {
  private readonly inRotation: string[];
  private next = 0;
  private running = false;
  private readonly loops: Promise<void>[] = [];
  /** Every probe answer, per gateway. */
  readonly probes = new Map<string, Probe[]>();
  /** The answer (or error) to the API request sent when a gateway first said it was not ready. */
  readonly servedWhenNotReady = new Map<string, number | string>();

  constructor(
    private readonly urls: readonly string[],
    private readonly options: {
      periodMs: number;
      failuresToEject: number;
      /** The API request sent to a gateway that just said it is not ready. */
      check: (url: string) => Promise<number>;
    },
  ) {
    this.inRotation = [...urls];
    for (const url of urls) this.probes.set(url, []);
  }

  start(): void {
    this.running = true;
    for (const url of this.urls) this.loops.push(this.watch(url));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** The next gateway in rotation, or undefined when none is left. */
  pick(): string | undefined {
    if (this.inRotation.length === 0) return undefined;
    this.next = (this.next + 1) % this.inRotation.length;
    return this.inRotation[this.next];
  }

  isInRotation(url: string): boolean {
    return this.inRotation.includes(url);
  }

  private async watch(url: string): Promise<void> {
    let failures = 0;
    while (this.running) {
      const probe = await this.probe(url);
      this.probes.get(url)?.push(probe);
      if (probe.status === 200) failures = 0;
      else {
        failures++;
        if (!this.servedWhenNotReady.has(url)) {
          this.servedWhenNotReady.set(url, "pending");
          this.servedWhenNotReady.set(
            url,
            await this.options.check(url).catch((err: unknown) => errorText(err)),
          );
        }
        const at = this.inRotation.indexOf(url);
        if (failures >= this.options.failuresToEject && at >= 0) this.inRotation.splice(at, 1);
      }
      await sleep(this.options.periodMs);
    }
  }

  private async probe(url: string): Promise<Probe> {
    const at = Date.now();
    try {
      const answer = await send(false, url, "GET", "/health/ready");
      const body = JSON.parse(answer.text) as { missing?: string[] };
      return { at, status: answer.status, error: undefined, missing: body.missing ?? [] };
    } catch (err: unknown) {
      return { at, status: undefined, error: errorText(err), missing: [] };
    }
  }
}

/** One request of the load and what came of it. */
export interface Outcome {
  gateway: string;
  op: string;
  startedAt: number;
  endedAt: number;
  /** Set when the answer was the expected success. */
  ok: boolean;
  status: number | undefined;
  error: string | undefined;
}

/** One step of a client's loop: the request, and the status that means it worked. */
export interface Step {
  op: string;
  method: string;
  path: string;
  body?: unknown;
  expect: number;
}

export interface LoadClient {
  token: string;
  /** The client's next request. */
  next(): Step;
}

/**
 * Clients looping over their requests, each through the balancer, with a pause between an answer and the next
 * request (a steady rate, not a saturating one); every outcome kept.
 */
export class SteadyLoad {
  readonly outcomes: Outcome[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  // One pool per client, as separate browsers or proxies have: keep-alive sockets are reused between requests.
  private readonly agents: http.Agent[] = [];

  constructor(
    private readonly balancer: ReadinessBalancer,
    private readonly clients: readonly LoadClient[],
    private readonly pauseMs: number,
  ) {}

  start(): void {
    this.running = true;
    this.loops = this.clients.map((client) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
      this.agents.push(agent);
      return this.run(client, agent);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    for (const agent of this.agents) agent.destroy();
  }

  failures(): Outcome[] {
    return this.outcomes.filter((o) => !o.ok);
  }

  private async run(client: LoadClient, agent: http.Agent): Promise<void> {
    while (this.running) {
      const gateway = this.balancer.pick();
      if (gateway === undefined) {
        await sleep(50);
        continue;
      }
      const step = client.next();
      const startedAt = Date.now();
      const outcome = await send(agent, gateway, step.method, step.path, {
        token: client.token,
        body: step.body,
      }).then(
        (answer) => ({
          status: answer.status,
          error: answer.status === step.expect ? undefined : answer.text.slice(0, 200),
        }),
        (err: unknown) => ({ status: undefined, error: errorText(err) }),
      );
      this.outcomes.push({
        gateway,
        op: step.op,
        startedAt,
        endedAt: Date.now(),
        ok: outcome.status === step.expect,
        ...outcome,
      });
      await sleep(this.pauseMs);
    }
  }
}

/** A raw `GET /api/stream` that keeps every byte the server sent, and when it ended. */
export interface RawStream {
  status: number;
  text(): string;
  /** Resolves with Date.now() when the server ended the stream (or the connection broke). */
  ended: Promise<number>;
  close(): void;
}

export function openRawStream(baseUrl: string, token: string, lastEventId?: string): Promise<RawStream> {
  const headers: http.OutgoingHttpHeaders = { accept: "text/event-stream", authorization: `Bearer ${token}` };
  if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
  return new Promise((resolve, reject) => {
    const req = http.get(new URL("/api/stream", baseUrl), { headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      const ended = new Promise<number>((done) => {
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => done(Date.now()));
        res.on("close", () => done(Date.now()));
        res.on("error", () => done(Date.now()));
      });
      resolve({ status: res.statusCode ?? 0, text: () => text, ended, close: () => req.destroy() });
    });
    req.on("error", reject);
  });
}

/**
 * A JSON request whose body trickles in over `spreadMs` (chunked, in `pieces` writes), so it is still in flight
 * long after it started. Resolves with the status and when the answer came.
 */
export function slowJsonRequest(
  baseUrl: string,
  method: string,
  path: string,
  token: string,
  body: unknown,
  spreadMs: number,
  pieces = 10,
): Promise<{ status: number | undefined; error: string | undefined; at: number }> {
  const bytes = Buffer.from(JSON.stringify(body));
  const size = Math.ceil(bytes.length / pieces);
  return new Promise((resolve) => {
    const req = http.request(
      new URL(path, baseUrl),
      {
        method,
        agent: false,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode, error: undefined, at: Date.now() }));
      },
    );
    req.on("error", (err) => resolve({ status: undefined, error: errorText(err), at: Date.now() }));
    void (async () => {
      for (let offset = 0; offset < bytes.length; offset += size) {
        req.write(bytes.subarray(offset, offset + size));
        await sleep(spreadMs / pieces);
      }
      req.end();
    })();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined ? err.message : `${code}: ${err.message}`;
  }
  return String(err);
}
