import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Client } from "@opensearch-project/opensearch";
import autocannon from "autocannon";
import { TagPages } from "../lib/discovery/tag-pages";
import { SnowflakeGenerator } from "../lib/ids";
import { EmbeddedSearchIndex } from "../lib/search/embedded/embedded-search-index";
import { OpenSearchIndex } from "../lib/search/opensearch/opensearch-index";
import { postSearch, tagSearch, userSearch, wordsOf } from "../lib/search/opensearch/queries";
import { SearchReindexer } from "../lib/search/reindex";
import type { IndexOp, SearchIndex, SearchType } from "../lib/search/search-index";
import { StoreSearchSources } from "../lib/search/store-sources";
import { LevelStore } from "../lib/store/level";
import { summariseProfile } from "./support/cpu-profile";
import { summarise, type Summary } from "./support/measure";
import { positiveIntOption } from "./support/options";
import { entryFromArgs } from "./support/node-entry";
import { startMosaic, stop, waitIdle } from "./support/processes";
import {
  SEARCH_BENCH_TABLES,
  benchQueries,
  generateSearchDataset,
  searchDocuments,
  writeSearchDataset,
  type BenchQueries,
  type SearchDataset,
} from "./support/seed-search";

/**
 * Search on a 10,000-user, 100,000-post dataset, per adapter, in one run (issue #12, "Measured"):
 *
 *   1. seeding the store (once; each adapter gets its own copy of it);
 *   2. reindex rate, SearchReindexer from the store into the adapter, against the engine's own bulk rate (the
 *      same documents, built in memory, applied 500 at a time into a fresh generation);
 *   3. queries per second and p50/p99 straight to the engine (OpenSearch through its own client with the
 *      adapter's query bodies, the embedded index in this process) against `GET /api/search` through a node,
 *      with the same queries; the target is gateway ≥ 0.5 × raw;
 *   4. the lag from `POST /api/posts` to the post being found by `/api/search` (p99 ≤ 1 s embedded, ≤ 2 s on
 *      OpenSearch);
 *   5. embedded: the heap the loaded index holds, per 100,000 posts.
 *
 *   npm run bench:search [-- --adapter embedded|opensearch|both --users 10000 --posts 100000
 *                            --seconds 10 --connections 10 --lag-samples 100 --kinds users,tags,posts --profile]
 *
 * `--profile` writes a CPU profile of each node and prints where its time went (it slows the node: figures of a
 * profiled run are not the figures to report); `--kinds users --lag-samples 1` keeps the profile to one kind.
 */

type Adapter = "embedded" | "opensearch";
type Kind = "users" | "tags" | "posts";

const KINDS: readonly Kind[] = ["users", "tags", "posts"];
const OPENSEARCH_URL = "http://127.0.0.1:9200";
const PORT = 3931;
const SEED = 12;
const BULK_OPS = 500;
/** The page the API answers by default (`limit` 20): both sides ask for it. */
const LIMIT = 20;
const WARMUP_SECONDS = 2;
const LAG_POLL_MS = 10;
const LAG_GIVE_UP_MS = 15_000;
const GATEWAY_TARGET = 0.5;
const LAG_TARGET_MS: Record<Adapter, number> = { embedded: 1_000, opensearch: 2_000 };
const PHOTO = path.resolve(__dirname, "../test/fixtures/image.png");

interface Options {
  adapters: Adapter[];
  users: number;
  posts: number;
  seconds: number;
  connections: number;
  lagSamples: number;
  /** The kinds of query measured (all by default; fewer to profile one). */
  kinds: Kind[];
  profile: boolean;
  /** The node runs compiled (dist/), as deployed, or through tsx. */
  node: { built: boolean; why: string };
}

interface Rate {
  perSecond: number;
  p50: number;
  p99: number;
  requests: number;
}

interface AdapterFigures {
  adapter: Adapter;
  documents: number;
  reindex: { seconds: number };
  bulk: { seconds: number };
  raw: Partial<Record<Kind, Rate>>;
  gateway: Partial<Record<Kind, Rate>>;
  /** Queries of each kind that found something, of how many. */
  answered: Partial<Record<Kind, string>>;
  lag: Summary & { timeouts: number };
  heap?: { bytes: number; how: string; openSeconds: number };
}

/** One call of a query straight to the engine; answers how many hits it gave. */
type RawCall = (kind: Kind, text: string) => Promise<number>;

async function main(): Promise<void> {
  const began = performance.now();
  const options = { ...parseOptions(process.argv.slice(2)), node: await entryFromArgs() };
  console.log(`command: ${commandLine()}; node: ${options.node.why}`);
  console.log(
    `machine: ${os.cpus().length} CPUs, Node ${process.versions.node}; ${options.users} users, ${options.posts} posts, ` +
      `${options.seconds} s per rate, ${options.connections} connections; ${loadAverage()}`,
  );
  const adapters: Adapter[] = [];
  for (const adapter of options.adapters) {
    if (adapter === "opensearch" && !(await openSearchAnswers())) {
      console.log(
        `OpenSearch: skipped, nothing answers ${OPENSEARCH_URL}/_cluster/health (bash scripts/infra/opensearch.sh up starts it)`,
      );
      continue;
    }
    adapters.push(adapter);
  }
  if (adapters.length === 0) {
    console.log("no adapter to measure");
    return;
  }

  const root = await mkdtemp(path.join(os.tmpdir(), "mosaic-bench-search-"));
  try {
    const dataset = generateSearchDataset({
      users: options.users,
      posts: options.posts,
      days: 30,
      now: Date.now(),
      seed: SEED,
    });
    const queries = benchQueries(dataset, SEED);
    const seedDir = path.join(root, "seed");
    const seeding = await seed(path.join(seedDir, "store"), dataset);
    const figures: AdapterFigures[] = [];
    for (const adapter of adapters) {
      // Each adapter starts from the store as seeded: the one before left the lag's posts in its copy.
      const dataDir = path.join(root, adapter);
      await cp(seedDir, dataDir, { recursive: true });
      figures.push(await benchAdapter(adapter, dataDir, dataset, queries, options, root));
    }
    printQueries(queries, options.kinds);
    printTable(dataset, seeding, figures, options);
    console.log(`command: ${commandLine()}`);
    console.log(`whole run: ${Math.round((performance.now() - began) / 1000)} s; ${loadAverage()}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

// ---- 1. seeding ----

async function seed(
  storePath: string,
  dataset: SearchDataset,
): Promise<{ seconds: number; rows: number; tags: number }> {
  const store = new LevelStore({ path: storePath });
  await store.open(SEARCH_BENCH_TABLES);
  try {
    const t0 = performance.now();
    const progress = throttled(5_000);
    const { rows } = await writeSearchDataset(store, dataset, (step, done, total) =>
      progress(`seeding: ${step} ${done}/${total}`),
    );
    const seconds = (performance.now() - t0) / 1000;
    console.log(`seeded ${rows} rows in ${seconds.toFixed(1)} s (${Math.round(rows / seconds)} rows/s)`);
    return { seconds, rows, tags: dataset.tags.length };
  } finally {
    await store.close();
  }
}

// ---- per adapter ----

async function benchAdapter(
  adapter: Adapter,
  dataDir: string,
  dataset: SearchDataset,
  queries: BenchQueries,
  options: Options,
  root: string,
): Promise<AdapterFigures> {
  console.log(`\n== ${adapter} == (${loadAverage()})`);
  // A prefix of its own per run: the bench never touches another deployment's indices on a shared engine.
  const prefix = `bench-search-${Date.now().toString(36)}`;
  const searchDir = path.join(dataDir, "search");
  const makeIndex = (): SearchIndex =>
    adapter === "embedded"
      ? new EmbeddedSearchIndex({ dir: searchDir })
      : new OpenSearchIndex({ url: OPENSEARCH_URL, indexPrefix: prefix });
  try {
    const { documents, reindex, bulk } = await indexRates(adapter, dataDir, dataset, makeIndex);
    const answered: Partial<Record<Kind, string>> = {};
    let raw: Partial<Record<Kind, Rate>>;
    let heap: AdapterFigures["heap"];
    // The raw embedded queries run here, and only while no node runs: the node is a process of its own, started
    // after this index is closed, so neither shares a CPU, an event loop or the files with the other.
    if (adapter === "embedded") {
      const opened = await openMeasured(() => new EmbeddedSearchIndex({ dir: searchDir }));
      heap = { bytes: opened.bytes, how: opened.how, openSeconds: opened.seconds };
      console.log(
        `embedded index loaded in ${opened.seconds.toFixed(1)} s, heap +${mib(opened.bytes)} MiB (${opened.how})`,
      );
      try {
        raw = await rawRates(embeddedCall(opened.index), queries, options, answered);
      } finally {
        await opened.index.close();
      }
    } else {
      const client = new Client({ node: OPENSEARCH_URL, maxRetries: 0, requestTimeout: 10_000 });
      try {
        raw = await rawRates(openSearchCall(client, `${prefix}-live`), queries, options, answered);
      } finally {
        await client.close();
      }
    }

    const profileDir = options.profile ? path.join(root, `profile-${adapter}`) : undefined;
    const node = await startMosaic(
      {
        PORT: String(PORT),
        DATA_DIR: dataDir,
        // Ids of the node must not collide with the seeder's (worker 1000) nor the reindex's (1001).
        WORKER_ID: "1",
        LOG_LEVEL: "warn",
        RATE_LIMITS: "off",
        ...(adapter === "opensearch" && { SEARCH_URL: OPENSEARCH_URL, SEARCH_INDEX_PREFIX: prefix }),
        ...(profileDir !== undefined && { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` }),
      },
      options.node,
    );
    let gateway: Partial<Record<Kind, Rate>>;
    let lag: AdapterFigures["lag"];
    try {
      const token = await signup(node.url);
      await searchAnswers(node.url, token);
      console.log(`the node was idle ${(await waitIdle(node.child)).toFixed(0)} s after its first answers`);
      gateway = await gatewayRates(node.url, token, queries, options);
      lag = await measureLag(node.url, token, options.lagSamples);
    } finally {
      await stop(node.child);
    }
    if (profileDir !== undefined) await printProfile(adapter, profileDir);
    return {
      adapter,
      documents,
      reindex,
      bulk,
      raw,
      gateway,
      answered,
      lag,
      ...(heap && { heap }),
    };
  } finally {
    if (adapter === "opensearch") await dropIndices(prefix);
  }
}

// ---- 2. reindex against bulk ----

async function indexRates(
  adapter: Adapter,
  dataDir: string,
  dataset: SearchDataset,
  makeIndex: () => SearchIndex,
): Promise<{ documents: number; reindex: { seconds: number }; bulk: { seconds: number } }> {
  const docs = searchDocuments(dataset);
  const expected: Record<SearchType, number> = {
    user: docs.users.length,
    post: docs.posts.length,
    tag: docs.tags.length,
  };
  const documents = expected.user + expected.post + expected.tag;
  const store = new LevelStore({ path: path.join(dataDir, "store") });
  await store.open(SEARCH_BENCH_TABLES);
  const index = makeIndex();
  try {
    await index.open();
    const tagPages = new TagPages(store);
    const sources = new StoreSearchSources({ store, tagPostCount: (tag) => tagPages.tagPostCount(tag) });
    const versions = new SnowflakeGenerator({ workerId: 1001 });
    const progress = throttled(10_000);
    const reindexer = new SearchReindexer({
      store,
      index,
      sources,
      ids: versions,
      progress: (p) => progress(`reindex: ${p.done}/${dataset.users.length} accounts`),
    });
    let t0 = performance.now();
    await reindexer.run();
    const reindexSeconds = (performance.now() - t0) / 1000;
    await checkCounts(index, undefined, expected, "reindex");
    console.log(
      `reindex: ${documents} documents in ${reindexSeconds.toFixed(1)} s (${Math.round(documents / reindexSeconds)}/s)`,
    );

    const generation = await index.generations.create();
    const version = await versions.next();
    const ops: IndexOp[] = [
      ...docs.users.map((doc): IndexOp => ({ type: "user", op: "put", doc, version })),
      ...docs.posts.map((doc): IndexOp => ({ type: "post", op: "put", doc, version })),
      ...docs.tags.map((doc): IndexOp => ({ type: "tag", op: "put", doc, version })),
    ];
    t0 = performance.now();
    for (let i = 0; i < ops.length; i += BULK_OPS) await index.apply(ops.slice(i, i + BULK_OPS), generation);
    const bulkSeconds = (performance.now() - t0) / 1000;
    await checkCounts(index, generation, expected, "bulk");
    console.log(
      `${adapter} bulk: ${ops.length} documents in ${bulkSeconds.toFixed(1)} s (${Math.round(ops.length / bulkSeconds)}/s)`,
    );
    await index.generations.drop(generation);
    return { documents, reindex: { seconds: reindexSeconds }, bulk: { seconds: bulkSeconds } };
  } finally {
    // The embedded index writes its snapshot here, outside both timings: the node then loads it.
    await index.close();
    await store.close();
  }
}

/** Both ways must index every document: a rate over fewer documents would flatter whichever lost some. */
async function checkCounts(
  index: SearchIndex,
  generation: string | undefined,
  expected: Record<SearchType, number>,
  what: string,
): Promise<void> {
  for (const type of ["user", "post", "tag"] as const) {
    const counted = await index.count(type, generation);
    if (counted !== expected[type]) {
      throw new Error(`${what}: ${counted} ${type} documents indexed, ${expected[type]} expected`);
    }
  }
}

// ---- 5. the embedded index's heap ----

async function openMeasured(
  make: () => EmbeddedSearchIndex,
): Promise<{ index: EmbeddedSearchIndex; bytes: number; how: string; seconds: number }> {
  const { collect, how } = collector();
  collect();
  const before = process.memoryUsage().heapUsed;
  const index = make();
  const t0 = performance.now();
  await index.open();
  const seconds = (performance.now() - t0) / 1000;
  collect();
  return { index, bytes: process.memoryUsage().heapUsed - before, how, seconds };
}

/** A full collection: global.gc when Node was started with --expose-gc, else the same function asked of V8. */
function collector(): { collect: () => void; how: string } {
  const exposed: unknown = (globalThis as { gc?: unknown }).gc;
  const gc = typeof exposed === "function" ? exposed : exposeGc();
  if (gc === undefined) return { collect: () => undefined, how: "no gc available: garbage included" };
  const run = gc as () => void;
  return {
    // Twice: objects freed by the first collection's finalisers go in the second.
    collect: () => {
      run();
      run();
    },
    how: typeof exposed === "function" ? "global.gc" : "gc exposed at run time",
  };
}

function exposeGc(): unknown {
  setFlagsFromString("--expose-gc");
  const gc: unknown = runInNewContext("gc");
  return typeof gc === "function" ? gc : undefined;
}

// ---- 3. queries: raw ----

function embeddedCall(index: SearchIndex): RawCall {
  // As the gateway asks for a new account: no blocks, no follows, itself the only private author it may see.
  const viewer = "1";
  return async (kind, text) => {
    const paging = { limit: LIMIT, offset: 0 };
    switch (kind) {
      case "users":
        return (await index.searchUsers({ text, ...paging, excludeIds: [], followedIds: [] })).ids.length;
      case "tags":
        return (await index.searchTags({ text, ...paging })).items.length;
      case "posts":
        return (
          await index.searchPosts({
            text,
            ...paging,
            order: "relevance",
            excludeAuthorIds: [],
            privateAuthorIds: [viewer],
          })
        ).ids.length;
    }
  };
}

/** The bodies the adapter sends, sent with the engine's own client and nothing of ours around them. */
function openSearchCall(client: Client, alias: string): RawCall {
  const viewer = "1";
  // One more than the page, as the adapter asks, to know whether another page follows.
  const page = { from: 0, size: LIMIT + 1 };
  return async (kind, text) => {
    const words = wordsOf(text);
    const paging = { limit: LIMIT, offset: 0 };
    const body =
      kind === "users"
        ? userSearch({ text, ...paging, excludeIds: [], followedIds: [] }, words, page)
        : kind === "tags"
          ? tagSearch({ text, ...paging }, words, page)
          : postSearch(
              { text, ...paging, order: "relevance", excludeAuthorIds: [], privateAuthorIds: [viewer] },
              words,
              page,
            );
    const response = await client.transport.request({ method: "POST", path: `/${alias}/_search`, body });
    return hitCount(response.body);
  };
}

function hitCount(body: unknown): number {
  const hits = (body as { hits?: { hits?: unknown } } | undefined)?.hits?.hits;
  if (!Array.isArray(hits)) throw new Error(`not a search answer: ${JSON.stringify(body).slice(0, 200)}`);
  return Math.min(hits.length, LIMIT);
}

async function rawRates(
  call: RawCall,
  queries: BenchQueries,
  options: Options,
  answered: Partial<Record<Kind, string>>,
): Promise<Partial<Record<Kind, Rate>>> {
  const rates: Partial<Record<Kind, Rate>> = {};
  for (const kind of options.kinds) {
    const texts = queries[kind];
    let found = 0;
    for (const text of texts) if ((await call(kind, text)) > 0) found++;
    const share = `${found}/${texts.length}`;
    answered[kind] = share;
    await hammer(
      (text) => call(kind, text),
      texts,
      Math.min(WARMUP_SECONDS, options.seconds),
      options.connections,
    );
    const rate = await hammer((text) => call(kind, text), texts, options.seconds, options.connections);
    rates[kind] = rate;
    console.log(`raw ${kind}: ${describe(rate)} (${share} queries find something)`);
  }
  return rates;
}

/** `connections` callers, each sending its next query as soon as the last one answered, for `seconds`. */
async function hammer(
  call: (text: string) => Promise<number>,
  texts: readonly string[],
  seconds: number,
  connections: number,
): Promise<Rate> {
  const latencies: number[] = [];
  let next = 0;
  const began = performance.now();
  const end = began + seconds * 1000;
  const caller = async () => {
    while (performance.now() < end) {
      const text = texts[next++ % texts.length] ?? "";
      const t0 = performance.now();
      await call(text);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: connections }, caller));
  const elapsed = (performance.now() - began) / 1000;
  const summary = summarise(latencies);
  return {
    perSecond: latencies.length / elapsed,
    p50: summary.p50,
    p99: summary.p99,
    requests: latencies.length,
  };
}

// ---- 3. queries: through the gateway ----

async function gatewayRates(
  url: string,
  token: string,
  queries: BenchQueries,
  options: Options,
): Promise<Partial<Record<Kind, Rate>>> {
  const rates: Partial<Record<Kind, Rate>> = {};
  for (const kind of options.kinds) {
    const paths = queries[kind].map((q) => `/api/search?q=${encodeURIComponent(q)}&type=${kind}`);
    await load(url, token, paths, Math.min(WARMUP_SECONDS, options.seconds), options.connections);
    const before = await engineTime(url, kind);
    const rate = await load(url, token, paths, options.seconds, options.connections);
    const after = await engineTime(url, kind);
    rates[kind] = rate;
    const perQuery = (after.seconds - before.seconds) / Math.max(1, after.count - before.count);
    // Wall time from the node's asking to the engine's answer: on the embedded adapter the engine has a thread
    // of its own, so this includes the wait behind the queries of other connections.
    console.log(
      `gateway ${kind}: ${describe(rate)}; a query took ${(perQuery * 1000).toFixed(3)} ms from the node's ` +
        `asking to the engine's answer (wall time, queueing included)`,
    );
  }
  return rates;
}

/** The node's own account of its engine's query time for a kind (mosaic_search_query_duration_seconds). */
async function engineTime(url: string, kind: Kind): Promise<{ seconds: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) =>
    Number(new RegExp(`^${name}\\{type="${kind}"\\} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  return {
    seconds: value("mosaic_search_query_duration_seconds_sum"),
    count: value("mosaic_search_query_duration_seconds_count"),
  };
}

/** "503 ×7" for each status other than 2xx that the load met. */
function statusesOf(result: autocannon.Result): string {
  const codes = Object.entries(result.statusCodeStats ?? {}).filter(([code]) => !code.startsWith("2"));
  return codes.map(([code, { count }]) => `${code} ×${count}`).join(", ") || "none recorded";
}

/** autocannon from this process, which sits idle meanwhile: the node under load is a process of its own. */
async function load(
  url: string,
  token: string,
  paths: readonly string[],
  seconds: number,
  connections: number,
): Promise<Rate> {
  let next = 0;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
    requests: [
      {
        method: "GET",
        // The same rotation over the queries as the raw callers.
        setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] ?? "/" }),
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `/api/search: ${result.non2xx} non-2xx (${statusesOf(result)}), ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return {
    perSecond: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
  };
}

// ---- 4. lag ----

async function measureLag(url: string, token: string, samples: number): Promise<AdapterFigures["lag"]> {
  // Every photo is uploaded and transcoded first: image work running during the probes would be measured too.
  const photo = await readFile(PHOTO);
  const mediaIds: string[] = [];
  for (let i = 0; i < samples; i++) mediaIds.push(await upload(url, token, photo));
  await Promise.all(mediaIds.map((id) => mediaReady(url, token, id)));

  const lags: number[] = [];
  let timeouts = 0;
  for (let i = 0; i < samples; i++) {
    const word = uniqueWord(i);
    const t0 = performance.now();
    const created = await fetch(`${url}/api/posts`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ caption: `lag probe ${word}`, mediaIds: [mediaIds[i]] }),
    });
    if (created.status !== 201) throw new Error(`POST /api/posts: ${created.status} ${await created.text()}`);
    const { id } = (await created.json()) as { id: string };
    const path = `/api/search?q=${word}&type=posts`;
    for (;;) {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      const { items } = (await res.json()) as { items: { id: string }[] };
      const elapsed = performance.now() - t0;
      if (items.some((item) => item.id === id)) {
        lags.push(elapsed);
        break;
      }
      if (elapsed > LAG_GIVE_UP_MS) {
        timeouts++;
        lags.push(elapsed);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, LAG_POLL_MS));
    }
  }
  const summary = summarise(lags);
  console.log(
    `lag: p50 ${summary.p50.toFixed(0)} ms, p99 ${summary.p99.toFixed(0)} ms, max ${summary.max.toFixed(0)} ms` +
      (timeouts > 0 ? `, ${timeouts} never found within ${LAG_GIVE_UP_MS} ms` : ""),
  );
  return { ...summary, timeouts };
}

/** A word no caption holds: letters only, so that every analyser keeps it one word. */
function uniqueWord(i: number): string {
  const letters = "bcdfghjklmnpqrstvwxz";
  let n = i * 7_919 + Math.floor(Math.random() * 1_000_000);
  let word = "zq";
  for (let k = 0; k < 8; k++) {
    word += letters[n % letters.length] ?? "z";
    n = Math.floor(n / letters.length) + k * 31;
  }
  return word;
}

async function upload(url: string, token: string, photo: Buffer): Promise<string> {
  const form = new FormData();
  // Bytes of its own each time, so that deduplication does not make all the uploads one media.
  form.append(
    "file",
    new Blob([photo, Buffer.from(Math.random().toString())], { type: "image/png" }),
    "a.png",
  );
  const res = await fetch(`${url}/api/media`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  if (res.status !== 201) throw new Error(`POST /api/media: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function mediaReady(url: string, token: string, id: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/media/${id}`, { headers: { authorization: `Bearer ${token}` } });
    const { status } = (await res.json()) as { status: string };
    if (status === "ready") return;
    if (status !== "processing") throw new Error(`media ${id} is ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`media ${id} was not ready after 2 minutes`);
}

// ---- the node ----

async function signup(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      username: "bench_searcher",
      email: "searcher@bench.example.com",
      password: "bench-password",
    }),
  });
  if (res.status !== 201) throw new Error(`signup: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The node loads the index (a snapshot of the whole dataset, embedded) before its first search answers. */
async function searchAnswers(url: string, token: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last = "";
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/search?q=coffee&type=posts`, {
      headers: { authorization: `Bearer ${token}` },
    });
    last = `${res.status} ${await res.text()}`;
    if (res.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`/api/search never answered 200 (last: ${last.slice(0, 300)})`);
}

async function printProfile(adapter: Adapter, dir: string): Promise<void> {
  const { self, total } = await summariseProfile(dir, 20);
  console.log(`\nCPU profile of the ${adapter} node (whole run: start, gateway load, lag), by self time:`);
  for (const line of self) console.log(`  ${line.percent.toFixed(1).padStart(5)} %  ${line.function}`);
  console.log(`by total time:`);
  for (const line of total) console.log(`  ${line.percent.toFixed(1).padStart(5)} %  ${line.function}`);
}

// ---- OpenSearch ----

async function openSearchAnswers(): Promise<boolean> {
  try {
    const res = await fetch(`${OPENSEARCH_URL}/_cluster/health`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Removes this run's indices (and with them its alias). */
async function dropIndices(prefix: string): Promise<void> {
  const client = new Client({ node: OPENSEARCH_URL, maxRetries: 0 });
  try {
    const response = await client.transport.request(
      { method: "GET", path: `/${prefix}-*/_alias`, querystring: { expand_wildcards: "open,closed" } },
      { ignore: [404] },
    );
    const body: unknown = response.body;
    const names = typeof body === "object" && body !== null ? Object.keys(body) : [];
    for (const name of names.filter((n) => n.startsWith(`${prefix}-`))) {
      await client.transport.request({ method: "DELETE", path: `/${name}` }, { ignore: [404] });
    }
  } catch (err: unknown) {
    console.warn(
      `could not remove the indices ${prefix}-*: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    await client.close();
  }
}

// ---- reporting ----

function printQueries(queries: BenchQueries, kinds: readonly Kind[]): void {
  console.log("\nqueries (each list sent in turn, by raw callers and through the gateway alike):");
  for (const kind of kinds)
    console.log(`  ${kind}: ${queries[kind].map((q) => JSON.stringify(q)).join(" ")}`);
}

function printTable(
  dataset: SearchDataset,
  seeding: { seconds: number; rows: number; tags: number },
  figures: readonly AdapterFigures[],
  options: Options,
): void {
  const rows: string[][] = [["adapter", "figure", "value", "target", "verdict"]];
  const report = (adapter: string, figure: string, value: string, target = "(report)", verdict = "") =>
    rows.push([adapter, figure, value, target, verdict]);
  report(
    "store",
    "seeding",
    `${dataset.users.length} users, ${dataset.posts.length} posts, ${seeding.tags} tags: ` +
      `${seeding.rows} rows in ${seeding.seconds.toFixed(1)} s (${Math.round(seeding.rows / seeding.seconds)} rows/s)`,
  );
  for (const f of figures) {
    const a = f.adapter;
    const reindexRate = f.documents / f.reindex.seconds;
    const bulkRate = f.documents / f.bulk.seconds;
    report(
      a,
      "reindex from the store",
      `${Math.round(reindexRate)} docs/s (${f.reindex.seconds.toFixed(1)} s)`,
    );
    report(a, "engine bulk (500/request)", `${Math.round(bulkRate)} docs/s (${f.bulk.seconds.toFixed(1)} s)`);
    report(a, "reindex / bulk", (reindexRate / bulkRate).toFixed(2));
    for (const kind of options.kinds) {
      const raw = f.raw[kind];
      const gateway = f.gateway[kind];
      if (raw === undefined || gateway === undefined) continue;
      const ratio = gateway.perSecond / raw.perSecond;
      report(a, `${kind}: raw engine`, `${describe(raw)}; ${f.answered[kind]} queries find something`);
      report(a, `${kind}: gateway`, describe(gateway));
      report(
        a,
        `${kind}: gateway / raw`,
        ratio.toFixed(2),
        `≥ ${GATEWAY_TARGET}`,
        verdict(ratio >= GATEWAY_TARGET),
      );
    }
    const target = LAG_TARGET_MS[a];
    report(
      a,
      `lag post → found (${f.lag.n})`,
      `p50 ${f.lag.p50.toFixed(0)} ms, p99 ${f.lag.p99.toFixed(0)} ms, max ${f.lag.max.toFixed(0)} ms` +
        (f.lag.timeouts > 0 ? `, ${f.lag.timeouts} not found` : ""),
      `p99 ≤ ${target} ms`,
      verdict(f.lag.p99 <= target && f.lag.timeouts === 0),
    );
    if (f.heap) {
      const perHundredK = (f.heap.bytes * 100_000) / dataset.posts.length;
      report(
        a,
        "index heap per 100k posts",
        `${mib(perHundredK)} MiB (${mib(f.heap.bytes)} MiB for ${dataset.posts.length} posts + users + tags; ${f.heap.how}; loaded in ${f.heap.openSeconds.toFixed(1)} s)`,
      );
    }
  }
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => [...(row[col] ?? "")].length))) ?? [];
  const line = (row: readonly string[]) =>
    row.map((cell, col) => cell + " ".repeat((widths[col] ?? 0) - [...cell].length)).join(" | ");
  console.log(
    `\nsearch bench: ${options.connections} connections, ${options.seconds} s per rate, ${os.cpus().length} CPUs, ` +
      `${loadAverage()} at the end`,
  );
  console.log(line(rows[0] ?? []));
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
  for (const row of rows.slice(1)) console.log(line(row));
}

function describe(rate: Rate): string {
  return `${Math.round(rate.perSecond)}/s, p50 ${rate.p50.toFixed(1)} ms, p99 ${rate.p99.toFixed(1)} ms`;
}

function verdict(pass: boolean): string {
  return pass ? "PASS" : "MISS";
}

function mib(bytes: number): string {
  return (bytes / 1_048_576).toFixed(1);
}

/** Other work on the machine takes CPU from the figures: the run says how busy the machine was. */
function loadAverage(): string {
  const [one, five] = os.loadavg();
  return `load average ${one?.toFixed(2)} (1 min), ${five?.toFixed(2)} (5 min)`;
}

/** A progress printer that says something at most every `everyMs`. */
function throttled(everyMs: number): (message: string) => void {
  let last = 0;
  return (message) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    console.log(message);
  };
}

// ---- options ----

function parseOptions(argv: readonly string[]): Omit<Options, "node"> {
  const i = argv.indexOf("--adapter");
  const adapter = i >= 0 ? argv[i + 1] : "both";
  if (adapter !== "embedded" && adapter !== "opensearch" && adapter !== "both") {
    throw new Error("--adapter takes embedded, opensearch or both");
  }
  return {
    adapters: adapter === "both" ? ["embedded", "opensearch"] : [adapter],
    users: positiveIntOption(argv, "users", 10_000),
    posts: positiveIntOption(argv, "posts", 100_000),
    seconds: positiveIntOption(argv, "seconds", 10),
    connections: positiveIntOption(argv, "connections", 10),
    lagSamples: positiveIntOption(argv, "lag-samples", 100),
    kinds: kindsOption(argv),
    profile: argv.includes("--profile"),
  };
}

function kindsOption(argv: readonly string[]): Kind[] {
  const i = argv.indexOf("--kinds");
  if (i < 0) return [...KINDS];
  const named = (argv[i + 1] ?? "").split(",");
  const kinds = KINDS.filter((kind) => named.includes(kind));
  if (kinds.length === 0 || kinds.length !== named.length) {
    throw new Error("--kinds takes a comma-separated list of users, tags and posts");
  }
  return kinds;
}

/** As typed (through npm when it ran us), and the process npm started. */
function commandLine(): string {
  const args = process.argv.slice(2).map(quote).join(" ");
  const direct = [process.execPath, ...process.execArgv, ...process.argv.slice(1)].map(quote).join(" ");
  const script = process.env.npm_lifecycle_event;
  return script === undefined ? direct : `npm run ${script}${args ? ` -- ${args}` : ""}  (${direct})`;
}

function quote(arg: string): string {
  return /^[\w./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
