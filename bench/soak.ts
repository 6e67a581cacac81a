/**
 * Soak (issue #9): an embedded node (one child process, every service, LevelDB and files under a fresh DATA_DIR)
 * under a mixed workload for a long while: sign-ups, follows and unfollows, posts with a photo uploaded first,
 * feeds, profiles, likes and unlikes, comments, direct messages, notifications, and a few `/api/stream`s kept open
 * and read. After a warm-up it samples the node's memory (V8's heap after a full collection, asked over the
 * inspector; the resident set and the open file descriptors from /proc) and again at the end.
 *
 * Targets: no errors (any 5xx, any non-2xx, any network error or time-out, any stream that ends), the heap after
 * collection within 10 % of the one after the warm-up, descriptors flat. Exits 1 when one is missed.
 *
 *   npm run bench:soak -- [--minutes 10] [--concurrency 8] [--streams 4] [--warmup 30] [--users 30]
 *                         [--snapshots]   (heap snapshots at the start and end, under the OS temp folder)
 *                         [--cache-mb N]  (the node's CACHE_MB; default: the config's)
 *
 * Caches of posts are bounded in bytes (CACHE_MB) and fill as the soak posts, which a window of minutes would
 * count as growth: the warm-up lasts until each is nine tenths full (by the node's `mosaic_cache_bytes`), at most
 * 30 minutes, and at least `--warmup`. A small `--cache-mb` fills them sooner; what they hold is reported either way.
 *
 * The node's `GET /metrics` reports `mosaic_nodejs_heap_size_used_bytes`, but as sampled, garbage included, so it
 * swings with the collector; it is printed for comparison only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { heapGrowth } from "./support/heap-diff";
import {
  InspectorSession,
  inspectorUrl,
  kernelView,
  type HeapView,
  type KernelView,
} from "./support/node-memory";
import { positiveIntOption } from "./support/options";
import { entryFromArgs, nodeEntry } from "./support/node-entry";

const ROOT = path.resolve(__dirname, "..");
const REQUEST_TIMEOUT_MS = 30_000;
const SAMPLE_EVERY_MS = 60_000;
const PASSWORD = "correct horse battery";
const HEAP_GROWTH_TARGET = 10;
/** Descriptors may move by this much and still be flat: sockets of requests finishing at the moment of a sample. */
const FD_SLACK = 8;
const CACHES_FULL = 0.9;
const LONGEST_WARMUP_MS = 30 * 60_000;

interface Options {
  minutes: number;
  concurrency: number;
  streams: number;
  warmupSeconds: number;
  users: number;
  snapshots: boolean;
  cacheMb: number | undefined;
}

function parseOptions(argv: readonly string[]): Options {
  return {
    minutes: positiveIntOption(argv, "minutes", 10),
    concurrency: positiveIntOption(argv, "concurrency", 8),
    streams: positiveIntOption(argv, "streams", 4),
    warmupSeconds: positiveIntOption(argv, "warmup", 30),
    users: positiveIntOption(argv, "users", 30),
    snapshots: argv.includes("--snapshots"),
    cacheMb: argv.includes("--cache-mb") ? positiveIntOption(argv, "cache-mb", 64) : undefined,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP: one keep-alive pool, every request bounded in time.

interface Answer {
  status: number;
  body: string;
}

class Http {
  private readonly agent: http.Agent;

  constructor(
    private readonly origin: URL,
    sockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  request(
    method: string,
    route: string,
    options: { token?: string; json?: unknown; raw?: { bytes: Buffer; contentType: string } } = {},
  ): Promise<Answer> {
    const headers: Record<string, string | number> = { accept: "application/json" };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let payload: Buffer | undefined;
    if (options.json !== undefined) {
      payload = Buffer.from(JSON.stringify(options.json));
      headers["content-type"] = "application/json";
    } else if (options.raw !== undefined) {
      payload = options.raw.bytes;
      headers["content-type"] = options.raw.contentType;
    }
    if (payload !== undefined) headers["content-length"] = payload.length;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.origin.hostname,
          port: this.origin.port,
          method,
          path: route,
          headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () =>
        req.destroy(new Error(`timed out after ${REQUEST_TIMEOUT_MS} ms`)),
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Counting.

class Tally {
  requests = 0;
  errors = 0;
  readonly byRoute = new Map<string, number>();
  readonly errorsByKind = new Map<string, number>();
  readonly firstErrors: string[] = [];

  /** Counts one request; `label` names its route without ids. */
  ok(label: string): void {
    this.requests++;
    this.byRoute.set(label, (this.byRoute.get(label) ?? 0) + 1);
  }

  fail(label: string, what: string, detail: string): void {
    this.requests++;
    this.errors++;
    const kind = `${label} → ${what}`;
    this.errorsByKind.set(kind, (this.errorsByKind.get(kind) ?? 0) + 1);
    if (this.firstErrors.length < 10) this.firstErrors.push(`${kind}: ${detail.slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The workload.

interface User {
  id: string;
  username: string;
  token: string;
}

class Workload {
  readonly users: User[] = [];
  private readonly posts: string[] = [];
  private readonly conversations = new Map<string, string>();
  private readonly follows = new Set<string>();
  private readonly likes = new Set<string>();
  private names = 0;

  constructor(
    private readonly http: Http,
    private readonly tally: Tally,
    private readonly photo: Buffer,
  ) {}

  /** Sends one request and counts it; answers the body when the status is one of `expect`. */
  private async call<T>(
    label: string,
    expect: readonly number[],
    method: string,
    route: string,
    options: Parameters<Http["request"]>[2] = {},
  ): Promise<T | undefined> {
    let answer: Answer;
    try {
      answer = await this.http.request(method, route, options);
    } catch (error: unknown) {
      this.tally.fail(label, "network error", error instanceof Error ? error.message : String(error));
      return undefined;
    }
    if (!expect.includes(answer.status)) {
      this.tally.fail(label, String(answer.status), answer.body);
      return undefined;
    }
    this.tally.ok(label);
    return answer.body.length > 0 ? (JSON.parse(answer.body) as T) : undefined;
  }

  async signup(): Promise<User | undefined> {
    const username = `soak_${process.pid % 10_000}_${this.names++}_${Math.random().toString(36).slice(2, 6)}`;
    const res = await this.call<{ token: string; user: { id: string } }>(
      "POST /api/auth/signup",
      [201],
      "POST",
      "/api/auth/signup",
      { json: { username, email: `${username}@example.com`, password: PASSWORD } },
    );
    if (res === undefined) return undefined;
    const user = { id: res.user.id, username, token: res.token };
    this.users.push(user);
    return user;
  }

  /** One operation of the mix, as a random user. */
  async step(): Promise<void> {
    const actor = pick(this.users);
    const roll = Math.random() * 100;
    // Posts are few, as on any such service, and each is a photo the transcoder renders (tens of ms of CPU
    // apiece): a share much higher than this outruns the transcoder on a small machine and grows its queue.
    if (roll < 0.02) await this.signup();
    else if (roll < 24) await this.feed(actor);
    else if (roll < 32) await this.profile(actor);
    else if (roll < 39) await this.readPost(actor);
    else if (roll < 48) await this.follow(actor);
    else if (roll < 49.5) await this.post(actor);
    else if (roll < 68) await this.like(actor);
    else if (roll < 77) await this.comment(actor);
    else if (roll < 91) await this.message(actor);
    else await this.notifications(actor);
  }

  private other(actor: User): User {
    for (;;) {
      const u = pick(this.users);
      if (u.id !== actor.id) return u;
    }
  }

  private feed(actor: User): Promise<unknown> {
    return this.call("GET /api/feed", [200], "GET", "/api/feed?limit=20", { token: actor.token });
  }

  private async profile(actor: User): Promise<void> {
    const other = this.other(actor);
    await this.call("GET /api/users/:username", [200], "GET", `/api/users/${other.username}`, {
      token: actor.token,
    });
    await this.call(
      "GET /api/users/:username/posts",
      [200],
      "GET",
      `/api/users/${other.username}/posts?limit=12`,
      {
        token: actor.token,
      },
    );
  }

  private async readPost(actor: User): Promise<void> {
    const postId = this.posts.length > 0 ? pick(this.posts) : undefined;
    if (postId === undefined) return this.feed(actor).then(() => undefined);
    await this.call("GET /api/posts/:id", [200], "GET", `/api/posts/${postId}`, { token: actor.token });
    await this.call("GET /api/posts/:id/comments", [200], "GET", `/api/posts/${postId}/comments?limit=20`, {
      token: actor.token,
    });
  }

  private async follow(actor: User): Promise<void> {
    const other = this.other(actor);
    const key = `${actor.id}:${other.id}`;
    // Another worker may be acting for the same user at once: both answers are 200 whatever the order.
    if (this.follows.has(key)) {
      this.follows.delete(key);
      await this.call(
        "DELETE /api/users/:username/follow",
        [200],
        "DELETE",
        `/api/users/${other.username}/follow`,
        {
          token: actor.token,
        },
      );
    } else {
      this.follows.add(key);
      await this.call(
        "POST /api/users/:username/follow",
        [200],
        "POST",
        `/api/users/${other.username}/follow`,
        {
          token: actor.token,
        },
      );
    }
  }

  private async post(actor: User): Promise<void> {
    const boundary = `----soak${Math.random().toString(16).slice(2)}`;
    const bytes = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n` +
          "Content-Type: image/png\r\n\r\n",
      ),
      this.photo,
      // Bytes of its own each time, so that deduplication by content does not make every upload one original.
      Buffer.from(Math.random().toString()),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const media = await this.call<{ id: string }>("POST /api/media", [201], "POST", "/api/media", {
      token: actor.token,
      raw: { bytes, contentType: `multipart/form-data; boundary=${boundary}` },
    });
    if (media === undefined) return;
    const post = await this.call<{ id: string }>("POST /api/posts", [201], "POST", "/api/posts", {
      token: actor.token,
      json: { caption: `soak #soak @${this.other(actor).username}`, mediaIds: [media.id] },
    });
    if (post === undefined) return;
    this.posts.push(post.id);
    if (this.posts.length > 2000) this.posts.splice(0, 1000);
  }

  private async like(actor: User): Promise<void> {
    if (this.posts.length === 0) return this.post(actor);
    const postId = pick(this.posts);
    const key = `${actor.id}:${postId}`;
    const liked = this.likes.has(key);
    if (liked) this.likes.delete(key);
    else this.likes.add(key);
    await this.call(
      liked ? "DELETE /api/posts/:id/like" : "POST /api/posts/:id/like",
      [200],
      liked ? "DELETE" : "POST",
      `/api/posts/${postId}/like`,
      { token: actor.token },
    );
  }

  private async comment(actor: User): Promise<void> {
    if (this.posts.length === 0) return this.post(actor);
    const postId = pick(this.posts);
    await this.call("POST /api/posts/:id/comments", [201], "POST", `/api/posts/${postId}/comments`, {
      token: actor.token,
      json: { text: `nice @${this.other(actor).username}` },
    });
  }

  private async message(actor: User): Promise<void> {
    const other = this.other(actor);
    const pair = [actor.id, other.id].sort().join(":");
    let conversationId = this.conversations.get(pair);
    if (conversationId === undefined) {
      const opened = await this.call<{ id: string }>(
        "POST /api/conversations",
        [200, 201],
        "POST",
        "/api/conversations",
        {
          token: actor.token,
          json: { usernames: [other.username] },
        },
      );
      if (opened === undefined) return;
      conversationId = opened.id;
      this.conversations.set(pair, conversationId);
    }
    await this.call(
      "POST /api/conversations/:id/messages",
      [201],
      "POST",
      `/api/conversations/${conversationId}/messages`,
      { token: actor.token, json: { text: `hello ${Math.random().toString(36).slice(2)}` } },
    );
    if (Math.random() < 0.3) {
      await this.call(
        "GET /api/conversations/:id/messages",
        [200],
        "GET",
        `/api/conversations/${conversationId}/messages?limit=20`,
        {
          token: actor.token,
        },
      );
    }
  }

  private async notifications(actor: User): Promise<void> {
    await this.call("GET /api/notifications", [200], "GET", "/api/notifications?limit=20", {
      token: actor.token,
    });
    if (Math.random() < 0.3) {
      await this.call("POST /api/notifications/read", [204], "POST", "/api/notifications/read", {
        token: actor.token,
        json: {},
      });
    }
    if (Math.random() < 0.3) {
      await this.call("GET /api/conversations", [200], "GET", "/api/conversations?limit=20", {
        token: actor.token,
      });
    }
  }
}

function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(Math.random() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

// ---------------------------------------------------------------------------------------------------------------
// Event streams kept open: every event counted, and an end that nobody asked for is an error.

class Streams {
  private readonly open = new Set<http.ClientRequest>();
  private stopping = false;
  events = 0;

  constructor(
    private readonly origin: URL,
    private readonly tally: Tally,
  ) {}

  start(user: User): Promise<void> {
    return new Promise((resolve) => {
      const req = http.get(
        {
          host: this.origin.hostname,
          port: this.origin.port,
          path: "/api/stream",
          agent: false,
          headers: { accept: "text/event-stream", authorization: `Bearer ${user.token}` },
        },
        (res) => {
          if (res.statusCode !== 200) {
            this.tally.fail("GET /api/stream", String(res.statusCode), "");
            res.resume();
            resolve();
            return;
          }
          this.tally.ok("GET /api/stream");
          let buffer = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            buffer += chunk;
            let end: number;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              if (/^data:/m.test(buffer.slice(0, end))) this.events++;
              buffer = buffer.slice(end + 2);
            }
          });
          res.on("error", () => undefined);
          res.on("close", () => {
            this.open.delete(req);
            if (this.stopping) return;
            this.tally.fail("GET /api/stream", "ended", `the stream of ${user.username} ended`);
            void this.start(user);
          });
          resolve();
        },
      );
      this.open.add(req);
      req.on("error", (error: Error) => {
        this.open.delete(req);
        if (!this.stopping) this.tally.fail("GET /api/stream", "network error", error.message);
        resolve();
      });
    });
  }

  stop(): void {
    this.stopping = true;
    for (const req of this.open) req.destroy();
    this.open.clear();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The node.

interface Sample {
  label: string;
  atSeconds: number;
  requests: number;
  errors: number;
  kernel: KernelView;
  heap: HeapView;
  /** `mosaic_nodejs_heap_size_used_bytes` from GET /metrics: as sampled, garbage included. */
  metricsHeapUsed: number | undefined;
}

async function startNode(
  dataDir: string,
  port: number,
  built: boolean,
  cacheMb: number | undefined,
): Promise<{ child: ChildProcess; url: string; inspector: string }> {
  const child = spawn(process.execPath, ["--inspect=127.0.0.1:0", ...nodeEntry(built)], {
    cwd: ROOT,
    env: {
      ...process.env,
      SERVICES: "*",
      STORE: "level",
      BLOBS: "fs",
      DATA_DIR: dataDir,
      PORT: String(port),
      RATE_LIMITS: "off",
      LOG_LEVEL: "warn",
      ...(cacheMb !== undefined && { CACHE_MB: String(cacheMb) }),
    },
    stdio: ["ignore", "inherit", "pipe"],
  });
  const url = `http://127.0.0.1:${port}`;
  const stderr = child.stderr;
  if (stderr === null) throw new Error("no stderr");
  const inspector = inspectorUrl(stderr);
  // The node's own warnings still reach the terminal.
  stderr.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    if (!/Debugger (listening|attached)|For help, see: https:\/\/nodejs.org/.test(text))
      process.stderr.write(text);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the node exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/health/ready`).then(
      async (r) => {
        await r.arrayBuffer();
        return r.status === 200;
      },
      () => false,
    );
    if (ready) return { child, url, inspector: await inspector };
    if (Date.now() > deadline) throw new Error("the node did not become ready within 60 s");
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface CacheFill {
  cache: string;
  bytes: number;
  budget: number;
}

/** Each cache of posts' estimated bytes against its budget, from the node's metrics. */
async function cacheFill(url: string): Promise<CacheFill[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) =>
    new Map(
      [...text.matchAll(new RegExp(`^mosaic_${name}\\{cache="([a-z_]+)"\\} (\\S+)$`, "gm"))].map(
        (m) => [m[1] ?? "", Number(m[2])] as const,
      ),
    );
  const bytes = read("cache_bytes");
  return [...read("cache_budget_bytes")].map(([cache, budget]) => ({
    cache,
    budget,
    bytes: bytes.get(cache) ?? 0,
  }));
}

const describeFill = (fill: readonly CacheFill[]): string =>
  fill.map((f) => `${f.cache} ${mib(f.bytes)}/${mib(f.budget)} MiB`).join(", ");

async function metricsHeapUsed(url: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const match = /^mosaic_nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?)/m.exec(text);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

function describeFds(view: KernelView): string {
  return [...view.fdKinds]
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${n} ${kind}`)
    .join(", ");
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-soak-"));
  const port = 30_000 + Math.floor(Math.random() * 10_000);
  const entry = await entryFromArgs();
  console.log(`node: ${entry.why}`);
  const node = await startNode(dataDir, port, entry.built, options.cacheMb);
  const pid = node.child.pid;
  if (pid === undefined) throw new Error("the node has no pid");
  const inspector = await InspectorSession.connect(node.inspector);
  const origin = new URL(node.url);
  const tally = new Tally();
  const client = new Http(origin, options.concurrency);
  const streams = new Streams(origin, tally);
  const photo = await readFile(path.join(ROOT, "test/fixtures/image.png"));
  const work = new Workload(client, tally, photo);
  const snapshotDir = options.snapshots
    ? path.join(os.tmpdir(), `mosaic-soak-heap-${Date.now()}`)
    : undefined;
  if (snapshotDir !== undefined) await mkdir(snapshotDir, { recursive: true });

  console.log(
    `soak: ${options.minutes} min after a ${options.warmupSeconds} s warm-up, ${options.concurrency} clients, ` +
      `${options.streams} open streams, node pid ${pid} on ${node.url}, data in ${dataDir}`,
  );
  const began = performance.now();
  const elapsed = () => (performance.now() - began) / 1000;
  const sample = async (label: string): Promise<Sample> => {
    const heap = await inspector.heapAfterGc();
    const kernel = await kernelView(pid);
    const s = {
      label,
      atSeconds: elapsed(),
      requests: tally.requests,
      errors: tally.errors,
      kernel,
      heap,
      metricsHeapUsed: await metricsHeapUsed(node.url),
    };
    console.log(
      `  ${label.padEnd(8)} ${s.atSeconds.toFixed(0).padStart(5)} s  requests ${String(s.requests).padStart(8)}  ` +
        `errors ${String(s.errors).padStart(4)}  rss ${mib(kernel.rssBytes).padStart(7)} MiB  ` +
        `heap after GC ${mib(heap.heapUsed).padStart(6)} MiB  external ${mib(heap.external).padStart(6)} MiB  ` +
        `fds ${kernel.openFds}`,
    );
    return s;
  };

  let stopping = false;
  const workers: Promise<void>[] = [];
  let start: Sample | undefined;
  let end: Sample | undefined;
  let warmedSeconds = options.warmupSeconds;
  let startFill: CacheFill[] = [];
  let endFill: CacheFill[] = [];
  try {
    for (let i = 0; i < options.users; i++) await work.signup();
    if (work.users.length < 2) throw new Error("sign-ups failed; nothing to soak");
    for (const user of work.users.slice(0, options.streams)) await streams.start(user);
    for (let i = 0; i < options.concurrency; i++) {
      workers.push(
        (async () => {
          while (!stopping) await work.step();
        })(),
      );
    }

    await sleep(options.warmupSeconds * 1000);
    let fill = await cacheFill(node.url);
    while (fill.some((f) => f.bytes < CACHES_FULL * f.budget) && elapsed() * 1000 < LONGEST_WARMUP_MS) {
      await sleep(10_000);
      fill = await cacheFill(node.url);
    }
    warmedSeconds = elapsed();
    startFill = fill;
    console.log(`  caches   ${describeFill(fill)} after ${warmedSeconds.toFixed(0)} s`);
    // Taking a snapshot leaves V8's heap profiler a few MiB of its own: the start is sampled after it, so that
    // the growth measured is the node's.
    if (snapshotDir !== undefined) await inspector.heapSnapshot(path.join(snapshotDir, "start.heapsnapshot"));
    start = await sample("start");
    const measuredFrom = performance.now();
    const endAt = measuredFrom + options.minutes * 60_000;
    while (performance.now() < endAt) {
      await sleep(Math.min(SAMPLE_EVERY_MS, endAt - performance.now()));
      if (performance.now() < endAt - 1000)
        await sample(`${Math.round((performance.now() - measuredFrom) / 60_000)} min`);
    }
    // The end is sampled under the same load as the start (clients busy, streams open), so descriptors compare.
    end = await sample("end");
    endFill = await cacheFill(node.url);
    if (snapshotDir !== undefined) await inspector.heapSnapshot(path.join(snapshotDir, "end.heapsnapshot"));
    stopping = true;
    await Promise.all(workers);
  } finally {
    stopping = true;
    streams.stop();
    client.close();
    inspector.close();
    if (node.child.exitCode === null) {
      node.child.kill("SIGTERM");
      await once(node.child, "exit");
    }
    await rm(dataDir, { recursive: true, force: true });
  }
  if (start === undefined || end === undefined) throw new Error("no samples");

  const measuredSeconds = end.atSeconds - start.atSeconds;
  const measuredRequests = end.requests - start.requests;
  const growth = ((end.heap.heapUsed - start.heap.heapUsed) / start.heap.heapUsed) * 100;
  const fdDelta = end.kernel.openFds - start.kernel.openFds;
  console.log("\nrequests by route:");
  for (const [route, n] of [...tally.byRoute].sort((a, b) => b[1] - a[1]))
    console.log(`  ${String(n).padStart(8)}  ${route}`);
  if (tally.errors > 0) {
    console.log("errors:");
    for (const [kind, n] of tally.errorsByKind) console.log(`  ${String(n).padStart(8)}  ${kind}`);
    for (const e of tally.firstErrors) console.log(`  e.g. ${e}`);
  }
  const metrics = (s: Sample) => (s.metricsHeapUsed === undefined ? "n/a" : `${mib(s.metricsHeapUsed)} MiB`);
  console.log(`
summary (${(measuredSeconds / 60).toFixed(1)} min measured after a ${warmedSeconds.toFixed(0)} s warm-up)
  requests              ${tally.requests} in all, ${measuredRequests} measured, ${(measuredRequests / measuredSeconds).toFixed(1)} requests/s
  errors                ${tally.errors}
  stream events read    ${streams.events} on ${options.streams} streams
  RSS                   ${mib(start.kernel.rssBytes)} MiB at the start, ${mib(end.kernel.rssBytes)} MiB at the end
  heap after GC         ${mib(start.heap.heapUsed)} MiB at the start, ${mib(end.heap.heapUsed)} MiB at the end: ${growth >= 0 ? "+" : ""}${growth.toFixed(1)} %
  caches of posts       ${describeFill(startFill)} at the start; ${describeFill(endFill)} at the end
  heap per /metrics     ${metrics(start)} at the start, ${metrics(end)} at the end (no GC first: for comparison only)
  open descriptors      ${start.kernel.openFds} at the start, ${end.kernel.openFds} at the end (${fdDelta >= 0 ? "+" : ""}${fdDelta})
                        start: ${describeFds(start.kernel)}
                        end:   ${describeFds(end.kernel)}${
                          snapshotDir === undefined ? "" : `\n  heap snapshots        ${snapshotDir}`
                        }`);
  if (snapshotDir !== undefined) {
    console.log("\nheap growth from the start snapshot to the end one (plain objects by their properties):");
    const growth = await heapGrowth(
      path.join(snapshotDir, "start.heapsnapshot"),
      path.join(snapshotDir, "end.heapsnapshot"),
    );
    for (const g of growth) {
      console.log(
        `  ${(g.bytes / 1024).toFixed(0).padStart(8)} KiB  ${String(g.count).padStart(8)}  ${g.what}`,
      );
    }
  }
  const missed: string[] = [];
  if (tally.errors > 0) missed.push(`${tally.errors} errors (target 0)`);
  if (growth > HEAP_GROWTH_TARGET)
    missed.push(`heap grew ${growth.toFixed(1)} % (target ≤ ${HEAP_GROWTH_TARGET} %)`);
  if (Math.abs(fdDelta) > FD_SLACK)
    missed.push(`descriptors moved by ${fdDelta} (target flat, ±${FD_SLACK})`);
  console.log(missed.length === 0 ? "\ntargets met" : `\ntargets missed: ${missed.join("; ")}`);
  if (missed.length > 0) process.exitCode = 1;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
