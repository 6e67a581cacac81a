/**
 * Issue #15's measurements, in one run:
 *
 * 1. Views of one popular post, counted the way Mosaic counts them (lib/views): two nodes each sum the views
 *    their viewers report and flush every 2 s. Offers `--rate` views a second (default 10,000, from distinct
 *    viewers, spread over both nodes) for `--seconds`, then prints the store writes made against the views
 *    counted, checks the stored total is exact after the last flush, and measures in the same run the reference:
 *    one counter write per view, as fast as the same store takes them.
 * 2. The ranked feed against the chronological one, through a whole embedded node: readers who follow 20
 *    authors of 6 posts each (some liked and commented), `GET /api/feed?limit=20` and
 *    `GET /api/feed?order=ranked&limit=20` (each a first page: a fresh ranking every time, the worst case), req/s
 *    and p99 under the same load, and their ratio (target: ranked ≥ 0.7× chronological).
 *
 *   npm run bench:views -- [--seconds 10] [--rate 10000] [--only views|ranked]   (STORE=cassandra … for part 1)
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../config";
import { createStore } from "../lib/store";
import type { WideRowStore } from "../lib/store/store";
import { PostViews, postViewCounts, viewCountsOf, viewTables } from "../lib/views";
import { positiveIntOption } from "./support/options";
import { runLoad } from "./support/load-runner";
import type { LoadResult } from "./support/load";
import { createNode } from "../broker/create-node";
import { call } from "../broker/calls";

const FLUSH_EVERY_MS = 2_000;
const TICK_MS = 10;
const REFERENCE_WRITES = 20_000;
const REFERENCE_CONCURRENCY = 64;

/** The store, with its writes (counter increments and sketch rows) counted. */
function counting(store: WideRowStore): { store: WideRowStore; writes: () => number } {
  let writes = 0;
  const counted = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if ((property === "increment" || property === "put") && typeof value === "function") {
        return (...args: unknown[]) => {
          writes++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: counted, writes: () => writes };
}

async function main(): Promise<void> {
  const only = process.argv[process.argv.indexOf("--only") + 1];
  const seconds = positiveIntOption(process.argv, "seconds", 10);
  if (!process.argv.includes("--only") || only === "views") await viewsPart(seconds);
  if (!process.argv.includes("--only") || only === "ranked") await rankedPart(seconds);
}

async function viewsPart(seconds: number): Promise<void> {
  const rate = positiveIntOption(process.argv, "rate", 10_000);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-bench-views-"));
  const config = loadConfig(undefined, { DATA_DIR: dataDir, LOG_LEVEL: "error" });
  const raw = createStore({ ...config, nodeId: "bench-views" });
  await raw.open([...viewTables]);
  const { store, writes } = counting(raw);
  const postId = `${Date.now()}000`;
  const authorsOf = (ids: readonly string[]) =>
    Promise.resolve(ids.map((id) => ({ postId: id, authorId: "1" })));
  // Every tenth viewer follows the author; the answer is as cheap as a kept relation (lib/timeline).
  const follows = (viewerId: string) => Promise.resolve(Number(viewerId) % 10 === 0);
  const nodes = [1, 2].map((n) => new PostViews({ store, authorsOf, follows, writer: `bench-node-${n}` }));
  const timers = nodes.map((node) => setInterval(() => void node.flush(), FLUSH_EVERY_MS));

  console.log(
    `store: ${config.store.kind}; offering ${rate} views/s of one post for ${seconds} s over 2 nodes`,
  );
  const started = performance.now();
  let offered = 0;
  let counted = 0;
  let viewer = 1_000_000;
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    const tickStart = performance.now();
    const reports: Promise<number>[] = [];
    for (let i = 0; i < perTick; i++) {
      viewer++;
      reports.push(nodes[viewer % 2]!.record(String(viewer), [postId], "view"));
    }
    offered += perTick;
    counted += (await Promise.all(reports)).reduce((a, b) => a + b, 0);
    const wait = TICK_MS - (performance.now() - tickStart);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const elapsed = (performance.now() - started) / 1000;
  for (const timer of timers) clearInterval(timer);
  await Promise.all(nodes.map((node) => node.flush()));
  const designWrites = writes();
  const total = (await viewCountsOf(raw, [postId])).get(postId)?.views ?? 0;

  // The reference: one counter write per view, on the same store, as fast as it takes them.
  const refPost = `${Date.now()}001`;
  const refStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: REFERENCE_CONCURRENCY }, async () => {
      while (next < REFERENCE_WRITES) {
        next++;
        await raw.increment(postViewCounts, { post_id: refPost }, { views: 1 });
      }
    }),
  );
  const refSeconds = (performance.now() - refStarted) / 1000;
  const refRate = REFERENCE_WRITES / refSeconds;

  const viewsPerSecond = offered / elapsed;
  const writesPerSecond = designWrites / elapsed;
  console.log(`views offered: ${offered} in ${elapsed.toFixed(1)} s = ${Math.round(viewsPerSecond)} views/s`);
  console.log(
    `views counted: ${counted}; stored total after the last flush: ${total} (${total === counted ? "exact" : "WRONG"})`,
  );
  console.log(
    `store writes: ${designWrites} = ${writesPerSecond.toFixed(1)} writes/s ` +
      `(${((designWrites / Math.max(1, counted)) * 1000).toFixed(2)} per 1,000 views)`,
  );
  console.log(
    `reference, one write per view: the same store takes ${Math.round(refRate)} writes/s ` +
      `(${REFERENCE_WRITES} increments, ${REFERENCE_CONCURRENCY} at once)`,
  );
  console.log(
    `ratio: ${(writesPerSecond / viewsPerSecond).toFixed(5)} writes per view ` +
      `(one per view would need ${Math.round(viewsPerSecond)} writes/s, ${(viewsPerSecond / refRate).toFixed(2)}× what the store took)`,
  );
  await raw.close();
  await rm(dataDir, { recursive: true, force: true });
  if (total !== counted) process.exitCode = 1;
}

const AUTHORS = 20;
const POSTS_PER_AUTHOR = 6;
const READERS = 40;
const CONNECTIONS = 16;

async function rankedPart(seconds: number): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-bench-ranked-"));
  const node = await createNode(
    loadConfig({
      PORT: "0",
      DATA_DIR: dataDir,
      RATE_LIMITS: "off",
      ADAPTIVE_LIMIT: "off",
      LOG_LEVEL: "error",
      NODE_ID: "bench-ranked",
    }),
  );
  await node.start();
  const url = `http://127.0.0.1:${node.httpPort() ?? 0}`;
  try {
    console.log(
      `\nseeding ${AUTHORS} authors × ${POSTS_PER_AUTHOR} posts, ${READERS} readers following them all…`,
    );
    const authors = await Promise.all(Array.from({ length: AUTHORS }, (_, i) => account(url, `author${i}`)));
    const readers = await Promise.all(Array.from({ length: READERS }, (_, i) => account(url, `reader${i}`)));
    for (const reader of readers) {
      await Promise.all(
        authors.map((a) => send(url, "POST", `/api/users/${a.username}/follow`, reader.token)),
      );
    }
    const posts: string[] = [];
    for (let round = 0; round < POSTS_PER_AUTHOR; round++) {
      posts.push(...(await Promise.all(authors.map((a) => photoPost(url, a.token, `post ${round}`)))));
    }
    // Engagement and affinity to score: each reader likes a few posts and comments on one.
    for (const [i, reader] of readers.entries()) {
      for (let k = 0; k < 4; k++)
        await send(url, "POST", `/api/posts/${posts[(i * 7 + k * 13) % posts.length]}/like`, reader.token);
      await send(url, "POST", `/api/posts/${posts[(i * 11) % posts.length]}/comments`, reader.token, {
        text: "nice",
      });
    }
    const everyone = AUTHORS * POSTS_PER_AUTHOR;
    for (let i = 0; i < 600; i++) {
      const page = (await send(url, "GET", "/api/feed?limit=100", readers[READERS - 1]?.token ?? "")) as {
        items: unknown[];
      };
      if (page.items.length >= Math.min(100, everyone)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Every fan-out done before anything is measured: its writes would weigh on whichever order ran first.
    for (let i = 0; i < 600 && (await call(node.broker, "timeline.backlog", {})).jobs > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const tokens = readers.map((r) => r.token);
    const plan = { url, tokens, connections: CONNECTIONS, seconds, warmupSeconds: 3, timeoutSeconds: 30 };
    // Interleaved, twice each, so that drift over the run (GC, a warming JIT) weighs on both alike.
    const runs: { chronological: LoadResult[]; ranked: LoadResult[] } = { chronological: [], ranked: [] };
    for (let round = 0; round < 2; round++) {
      runs.chronological.push(await runLoad({ ...plan, path: "/api/feed?limit=20" }));
      runs.ranked.push(await runLoad({ ...plan, path: "/api/feed?order=ranked&limit=20" }));
    }
    const chronological = mean(runs.chronological);
    const ranked = mean(runs.ranked);
    console.log(`chronological: ${chronological.rps.toFixed(0)} req/s, p99 ${chronological.p99} ms`);
    console.log(
      `ranked:        ${ranked.rps.toFixed(0)} req/s, p99 ${ranked.p99} ms (100 candidates scored per request)`,
    );
    console.log(
      `ratio ranked/chronological: ${(ranked.rps / chronological.rps).toFixed(2)}× req/s ` +
        `(target ≥ 0.7×), p99 ${(ranked.p99 / Math.max(1, chronological.p99)).toFixed(2)}×`,
    );
  } finally {
    await node.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function mean(results: readonly LoadResult[]): { rps: number; p99: number } {
  const n = Math.max(1, results.length);
  return {
    rps: results.reduce((sum, r) => sum + r.rps, 0) / n,
    p99: results.reduce((sum, r) => sum + r.p99, 0) / n,
  };
}

async function send(
  url: string,
  method: string,
  route: string,
  token: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(url + route, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return text.length > 0 ? JSON.parse(text) : undefined;
}

async function account(url: string, prefix: string): Promise<{ username: string; token: string }> {
  const username = `${prefix}_${randomBytes(3).toString("hex")}`;
  const res = (await send(url, "POST", "/api/auth/signup", "", {
    username,
    email: `${username}@example.com`,
    password: "correct horse battery",
  })) as { token: string };
  return { username, token: res.token };
}

let photo: Buffer | undefined;

async function photoPost(url: string, token: string, caption: string): Promise<string> {
  photo ??= await readFile(path.resolve(__dirname, "../test/fixtures/image.png"));
  const form = new FormData();
  form.append("file", new Blob([photo, randomBytes(8)], { type: "image/png" }), "a.png");
  const res = await fetch(`${url}/api/media`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  const media = (await res.json()) as { id: string };
  const post = (await send(url, "POST", "/api/posts", token, { caption, mediaIds: [media.id] })) as {
    id: string;
  };
  return post.id;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
