import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SnowflakeGenerator } from "../lib/ids";
import { LevelStore } from "../lib/store/level";
import { summariseProfile } from "./support/cpu-profile";
import {
  deliveredTo,
  pendingFanoutJobs,
  timeToTold,
  timeToVisible,
  type Follower,
  type Visibility,
} from "./support/fanout-probe";
import { generateFeedGraph, randomSource, type FeedGraph } from "./support/feed-graph";
import { readFeed, warmFeeds } from "./support/feed-http";
import { startFeedNode, type NodeSettings } from "./support/feed-node";
import { chooseEntry } from "./support/node-entry";
import { printReport, type FeedReport, type ModeFigures, type SeedStep } from "./support/feed-report";
import type { LoadResult } from "./support/load";
import { runLoad } from "./support/load-runner";
import { startBareServer, stop, waitIdle } from "./support/processes";
import {
  FEED_TABLES,
  authors,
  mintTokens,
  seedBase,
  seedTimelines,
  setCelebrities,
  type SeedCount,
  type SeededIds,
} from "./support/seed-feed";
import { storeWriteRates } from "./support/store-rate";
import { seedPostgres, startSeedBaseline } from "./support/seed-baseline";
import { positiveIntOption } from "./support/options";

/**
 * Issue #5's measurement: the home feed on a seeded power-law graph, in one run.
 *
 *   - GET /api/feed for warm readers through the whole node, against a bare node:http server sending the same
 *     bytes (the hybrid mode);
 *   - the same for readers who follow 0, 5 and 20 celebrities (whose posts are pulled at read time);
 *   - pull-only, hybrid and push-only: reads, and the time from POST /api/posts until the post shows in the
 *     feeds of a 10,000-follower author's followers;
 *   - that fan-out's rate against the store's own batch-write rate.
 *
 * The modes run on one data dir, seeded once and topped up in between (the node stopped: LevelDB admits one
 * process): pull-only first (only authors' own posts in timelines, every author a celebrity), then hybrid (the
 * fan-out of non-celebrities added), then push-only (the celebrities' too, and none left to pull from).
 *
 *   npx tsx bench/feed.ts [--users 10000] [--seconds 10] [--built] [--cpu-prof hybrid] ...
 */

type Mode = ModeFigures["mode"];

interface Options {
  users: number;
  posts: number;
  following: number;
  audience: number;
  readers: number;
  groupReaders: number;
  sample: number;
  seconds: number;
  warmup: number;
  connections: number;
  port: number;
  seed: number;
  built: boolean;
  keep: boolean;
  cpuProf: Mode | undefined;
}

/** The readers' tokens the measurements use. */
interface Tokens {
  readers: string[];
  /** The same readers' ids: the seed baseline takes them as its tokens. */
  readerIds: string[];
  /** The reader with the most follows. */
  heaviest: { follows: number; token: string; id: string };
  groups: Map<number, string[]>;
  /** A sample of the mega author's followers, the first and last in fan-out order among them. */
  audience: Follower[];
  mega: string;
}

interface Bench {
  options: Options;
  graph: FeedGraph;
  seeded: SeededIds;
  tokens: Tokens;
  node: NodeSettings;
  ids: SnowflakeGenerator;
  /** Ready media of the mega author not yet in a post, one per publish. */
  spareMedia: string[];
  seeding: SeedStep[];
}

const FEED_PATH = "/api/feed?limit=20";
/** Where the seed baseline's tables go, dropped and made again each run. */
const PG_SCHEMA = "mosaic_seed_bench";
const CELEBRITY_GROUPS = [0, 5, 20] as const;
const PUSH_EVERYTHING = 1_000_000_000;
/** Warm-up reads stop after this long: pull-only reads are slow, and gain little from a warm timeline anyway. */
const WARM_LIMIT_MS = 15_000;
/** A request unanswered after this long is an error. */
const REQUEST_TIMEOUT_S = 10;
/**
 * Except in pull-only, where every read checks every author, and 50 connections queue for seconds: there the
 * latency is the figure, so it gets to be measured rather than cut off.
 */
const SATURATED_REQUEST_TIMEOUT_S = 60;
const VISIBLE_LIMIT_MS = 60_000;
/** Push-only: after the first post (timed by polling), this many more timed on streams and as many by polling. */
const LATER_POSTS = 3;
const SETTLE_MS = 2_000;
const STORE_RATE_ROWS = 10_000;
/** Where the embedded node keeps its store under DATA_DIR (lib/store/index.ts). */
const STORE_FOLDER = "store";

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const began = performance.now();
  const entry = await chooseEntry(options.built);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-bench-feed-"));
  try {
    const bench = await prepare(options, dataDir, entry.built);
    const report = await measure(bench);
    printReport({ ...report, entry: entry.why, seconds: (performance.now() - began) / 1000 });
  } finally {
    if (options.keep) progress(`data kept in ${dataDir}`);
    else await rm(dataDir, { recursive: true, force: true });
  }
}

/** Generates the graph, writes the pull-only dataset and mints the readers' tokens. */
async function prepare(options: Options, dataDir: string, built: boolean): Promise<Bench> {
  const seeding: SeedStep[] = [];
  const { graph } = await timed(seeding, "generate the graph (in memory)", () => ({
    graph: generateFeedGraph({
      users: options.users,
      meanFollowing: options.following,
      maxFollowing: 1000,
      zipfExponent: 1,
      minCelebrities: 24,
      groupSize: options.groupReaders,
      groupCelebrities: CELEBRITY_GROUPS,
      groupOrdinaryFollows: 20,
      audience: options.audience,
      seed: options.seed,
    }),
    rows: 0,
  }));
  const ids = new SnowflakeGenerator({ workerId: 1000 });
  const storePath = path.join(dataDir, STORE_FOLDER);
  const { seeded } = await timed(seeding, "accounts, follows, media, posts, own timelines", () =>
    withStore(storePath, async (store) => {
      const base = await seedBase(store, graph, ids, { postsPerAuthor: options.posts, now: Date.now() });
      return { ...base, rows: base.count.rows };
    }),
  );
  await timed(seeding, "pull-only: every author a celebrity", () =>
    withStore(storePath, (store) => celebritiesOf(store, seeded, authors(graph), { rows: 0 })),
  );
  await timed(seeding, "PostgreSQL: the seed's tables, same accounts, follows and posts", () =>
    seedPostgres(PG_SCHEMA, graph, seeded),
  );
  const secret = randomBytes(48).toString("base64url");
  const { tokens } = await timed(seeding, "access tokens of the readers", async () => {
    const minted = await mintReaderTokens(options, graph, seeded, secret);
    return { tokens: minted, rows: tokenCount(minted) };
  });
  return {
    options,
    graph,
    seeded,
    tokens,
    ids,
    spareMedia: [...seeded.spareMedia],
    seeding,
    node: {
      dataDir,
      secret,
      port: options.port,
      built,
    },
  };
}

/** Every figure, mode after mode, topping the dataset up in between. */
async function measure(bench: Bench): Promise<Omit<FeedReport, "entry" | "seconds">> {
  const pull = await inMode(bench, "pull-only", 1, (url) => readsAndFanout(bench, url, "pull-only", 1));
  await topUp(bench, "hybrid: fan-out of non-celebrities", {
    pushedAuthors: (a) => !bench.graph.celebrities.has(a),
    celebrities: [...bench.graph.celebrities],
  });
  const hybrid = await inMode(bench, "hybrid", bench.graph.threshold, (url) => hybridFigures(bench, url));
  await topUp(bench, "push-only: fan-out of celebrities too", {
    pushedAuthors: (a) => bench.graph.celebrities.has(a),
    celebrities: [],
  });
  const push = await inMode(bench, "push-only", PUSH_EVERYTHING, (url) =>
    readsAndFanout(bench, url, "push-only", PUSH_EVERYTHING),
  );
  const fanout = await withStore(storePathOf(bench), (store) => checkFanout(bench, store, push.visibility));
  return {
    dataset: describeDataset(bench),
    seeding: bench.seeding,
    gateway: hybrid.gateway,
    baseline: hybrid.baseline,
    celebrityReaders: hybrid.groups,
    modes: [pull, hybrid.mode, push],
    fanout,
    profile: bench.options.cpuProf && (await summariseProfile(profileDir(bench), 15)),
  };
}

/**
 * Between two modes, with the node stopped: adds the timeline rows the fan-out of `pushedAuthors` would have
 * written, and makes `celebrities` the accounts readers pull from.
 */
async function topUp(
  bench: Bench,
  step: string,
  change: { pushedAuthors: (author: number) => boolean; celebrities: readonly number[] },
): Promise<void> {
  const { graph, seeded } = bench;
  await timed(bench.seeding, step, () =>
    withStore(storePathOf(bench), async (store) => {
      const count = { rows: 0 };
      await seedTimelines(store, graph, seeded, { ownPosts: false, followees: change.pushedAuthors }, count);
      await celebritiesOf(store, seeded, change.celebrities, count);
      return count;
    }),
  );
}

/** The hybrid mode: the gateway against bare node:http, the celebrity groups, and the mode's own figures. */
async function hybridFigures(bench: Bench, url: string) {
  const mode = await readsAndFanout(bench, url, "hybrid", bench.graph.threshold);
  const page = await readFeed(url, bench.tokens.readers[0] ?? "", 20);
  const bare = await startBareServer(bench.options.port + 1, {
    status: 200,
    headers: { "content-type": page.contentType, "x-request-id": crypto.randomUUID() },
    body: page.body,
  });
  let bareResult: LoadResult;
  try {
    progress("bare node:http server");
    bareResult = await load(bench, bare.url, bench.tokens.readers);
  } finally {
    await stop(bare.child);
  }
  const { heaviest } = bench.tokens;
  await warm(url, [heaviest.token], "the heaviest reader");
  const heaviestMosaic = await load(bench, url, [heaviest.token]);
  const seed = await startSeedBaseline(bench.options.port + 2, PG_SCHEMA);
  let baseline: FeedReport["baseline"];
  try {
    progress("the seed design on PostgreSQL");
    const seedReads = await load(bench, seed.url, bench.tokens.readerIds, SATURATED_REQUEST_TIMEOUT_S);
    const heaviestSeed = await load(bench, seed.url, [heaviest.id], SATURATED_REQUEST_TIMEOUT_S);
    baseline = {
      seed: seedReads,
      heaviest: { follows: heaviest.follows, mosaic: heaviestMosaic, seed: heaviestSeed },
    };
  } finally {
    await stop(seed.child);
  }
  const groups = new Map<number, LoadResult>();
  for (const [celebrities, tokens] of bench.tokens.groups) {
    await warm(url, tokens, `readers following ${celebrities} celebrities`);
    groups.set(celebrities, await load(bench, url, tokens));
  }
  return {
    mode,
    groups,
    baseline,
    gateway: { mosaic: mode.reads, bare: bareResult, pageBytes: Buffer.byteLength(page.body) },
  };
}

/** Warm reads of the ordinary readers, then the mega author's post and how long it takes to show. */
async function readsAndFanout(
  bench: Bench,
  url: string,
  mode: Mode,
  threshold: number,
): Promise<ModeFigures> {
  await warm(url, bench.tokens.readers, "ordinary readers");
  const timeout = mode === "pull-only" ? SATURATED_REQUEST_TIMEOUT_S : REQUEST_TIMEOUT_S;
  const reads = await load(bench, url, bench.tokens.readers, timeout);
  const mediaId = bench.spareMedia.shift();
  if (mediaId === undefined) throw new Error("no spare media left for the mega author");
  const sample = bench.tokens.audience;
  await warm(
    url,
    sample.map((f) => f.token),
    "sampled followers of the mega author",
  );
  progress(`${mode}: the mega author posts; polling ${sample.length} followers' feeds`);
  const visibility = await timeToVisible(
    url,
    { token: bench.tokens.mega, mediaId },
    sample,
    VISIBLE_LIMIT_MS,
  );
  if (mode !== "push-only") return { mode, threshold, reads, requestTimeoutS: timeout, visibility };
  // More posts, the node warm from the first: each timed on the followers' open streams, then by polling again.
  // Only pushed posts are told on streams (a pulled one is found at read time).
  const told: Visibility[] = [];
  const polled: Visibility[] = [];
  for (let i = 0; i < LATER_POSTS; i++) {
    for (const how of ["told", "polled"] as const) {
      await settle();
      const media = bench.spareMedia.shift();
      if (media === undefined) throw new Error("no spare media left for the mega author");
      const author = { token: bench.tokens.mega, mediaId: media };
      progress(`${mode}: the mega author posts again; ${how === "told" ? "streams open" : "polling"}`);
      if (how === "told") told.push(await timeToTold(url, author, sample, VISIBLE_LIMIT_MS));
      else polled.push(await timeToVisible(url, author, sample, VISIBLE_LIMIT_MS));
    }
  }
  return { mode, threshold, reads, requestTimeoutS: timeout, visibility, later: { told, polled } };
}

/** Gives the last post's fan-out time to reach the followers past the sample, so that posts are timed apart. */
function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, SETTLE_MS));
}

/**
 * After the push-only run, with the node stopped: whether the fan-out reached every follower (not only the
 * sample) and left no job behind, and the store's own write rate for the same rows.
 */
async function checkFanout(
  bench: Bench,
  store: LevelStore,
  visibility: Visibility,
): Promise<FeedReport["fanout"]> {
  const audience = bench.graph.audience.map((i) => idOf(bench.seeded, i));
  const delivered = await deliveredTo(store, audience, visibility.postId);
  const pendingJobs = await pendingFanoutJobs(store);
  if (delivered !== audience.length || pendingJobs !== 0) {
    throw new Error(
      `fan-out incomplete: ${delivered} of ${audience.length} delivered, ${pendingJobs} jobs left`,
    );
  }
  progress("store write rates");
  const rates = await storeWriteRates(store, bench.ids, STORE_RATE_ROWS);
  // The author's own timeline gets the post too.
  const entries = delivered + 1;
  return {
    followers: audience.length,
    delivered,
    pendingJobs,
    visibleMs: visibility.visibleMs,
    entriesPerSecond: entries / (visibility.visibleMs / 1000),
    store: rates,
  };
}

/** Starts the node for a mode, runs `work` against it, and stops it whatever happens. */
async function inMode<T>(
  bench: Bench,
  mode: Mode,
  threshold: number,
  work: (url: string) => Promise<T>,
): Promise<T> {
  progress(`${mode}: starting the node (CELEBRITY_THRESHOLD=${threshold})`);
  const profiled = bench.options.cpuProf === mode;
  const node = await startFeedNode(
    { ...bench.node, ...(profiled && { profileDir: profileDir(bench) }) },
    threshold,
  );
  try {
    progress(`${mode}: the node was idle after ${(await waitIdle(node.child)).toFixed(0)} s`);
    return await work(node.url);
  } finally {
    await stop(node.child);
  }
}

async function warm(url: string, tokens: readonly string[], who: string): Promise<void> {
  const began = performance.now();
  const read = await warmFeeds(url, tokens, { concurrency: 8, limitMs: WARM_LIMIT_MS });
  progress(`warmed ${read} of ${tokens.length} ${who} in ${seconds(began)} s`);
}

function load(
  bench: Bench,
  url: string,
  tokens: readonly string[],
  timeoutSeconds = REQUEST_TIMEOUT_S,
): Promise<LoadResult> {
  const { connections, seconds: duration, warmup } = bench.options;
  return runLoad({
    url,
    path: FEED_PATH,
    tokens,
    connections,
    seconds: duration,
    warmupSeconds: warmup,
    timeoutSeconds,
  });
}

async function mintReaderTokens(
  options: Options,
  graph: FeedGraph,
  seeded: SeededIds,
  secret: string,
): Promise<Tokens> {
  const groups = new Map<number, string[]>();
  for (const [celebrities, members] of graph.groups)
    groups.set(celebrities, await mintTokens(secret, seeded, members));
  const readers = graph.ordinaryReaders.slice(0, options.readers);
  const heaviest = graph.followees
    .slice(0, graph.users)
    .reduce((best, list, i) => (list.length > (graph.followees[best]?.length ?? 0) ? i : best), 0);
  return {
    readers: await mintTokens(secret, seeded, readers),
    readerIds: readers.map((i) => idOf(seeded, i)),
    heaviest: {
      follows: graph.followees[heaviest]?.length ?? 0,
      token: (await mintTokens(secret, seeded, [heaviest]))[0] ?? "",
      id: idOf(seeded, heaviest),
    },
    groups,
    audience: await followersWithTokens(secret, seeded, audienceSample(graph, options)),
    mega: (await mintTokens(secret, seeded, [graph.mega]))[0] ?? "",
  };
}

/**
 * A random sample of the mega author's followers, with its first and last follower in id order: fan-out goes
 * through followers by id, so the last one is among the last to get the post.
 */
function audienceSample(graph: FeedGraph, options: Options): number[] {
  const random = randomSource(options.seed + 1);
  const { audience } = graph;
  const picked = new Set([audience[0] ?? 0, audience.at(-1) ?? 0]);
  for (let i = 0; picked.size < Math.min(options.sample, audience.length) && i < options.sample * 10; i++) {
    picked.add(audience[Math.floor(random() * audience.length)] ?? 0);
  }
  return [...picked];
}

async function followersWithTokens(
  secret: string,
  seeded: SeededIds,
  accounts: number[],
): Promise<Follower[]> {
  const tokens = await mintTokens(secret, seeded, accounts);
  return accounts.map((i, n) => ({ userId: idOf(seeded, i), token: tokens[n] ?? "" }));
}

/** Makes these accounts the celebrities readers pull from. */
async function celebritiesOf(
  store: LevelStore,
  seeded: SeededIds,
  accounts: readonly number[],
  count: SeedCount,
): Promise<SeedCount> {
  const ids = accounts.map((i) => idOf(seeded, i));
  await setCelebrities(store, ids, Date.now(), count);
  return count;
}

function describeDataset(bench: Bench): FeedReport["dataset"] {
  const { graph, options } = bench;
  const main = graph.followees.slice(0, graph.users);
  const follows = main.reduce((sum, list) => sum + list.length, 0);
  const counts = Array.from(graph.followerCounts.slice(0, graph.users)).sort((a, b) => b - a);
  return {
    users: graph.users,
    audience: graph.audience.length,
    postsPerAuthor: options.posts,
    meanFollowing: follows / graph.users,
    maxFollowing: main.reduce((max, list) => Math.max(max, list.length), 0),
    threshold: graph.threshold,
    celebrities: graph.celebrities.size,
    topFollowers: counts.slice(0, 8),
    megaFollowers: graph.followerCounts[graph.mega] ?? 0,
    readers: bench.tokens.readers.length,
    groupReaders: options.groupReaders,
    sample: bench.tokens.audience.length,
  };
}

/** Opens the data dir's store with every table of the node, runs `work`, and closes it. */
async function withStore<T>(storePath: string, work: (store: LevelStore) => Promise<T>): Promise<T> {
  const store = new LevelStore({ path: storePath });
  await store.open(FEED_TABLES);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Runs a seeding step, records its time and rows, and answers what it produced. */
async function timed<T extends { rows: number }>(
  steps: SeedStep[],
  step: string,
  work: () => T | Promise<T>,
): Promise<T> {
  progress(`seeding: ${step}`);
  const began = performance.now();
  const result = await work();
  steps.push({ step, rows: result.rows, seconds: (performance.now() - began) / 1000 });
  return result;
}

function tokenCount(tokens: Tokens): number {
  const grouped = [...tokens.groups.values()].reduce((sum, list) => sum + list.length, 0);
  return tokens.readers.length + grouped + tokens.audience.length + 1;
}

function idOf(seeded: SeededIds, i: number): string {
  const id = seeded.userIds[i];
  if (id === undefined) throw new Error(`no account ${i}`);
  return id;
}

function storePathOf(bench: Bench): string {
  return path.join(bench.node.dataDir, STORE_FOLDER);
}

function profileDir(bench: Bench): string {
  return path.join(bench.node.dataDir, "profile");
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

function progress(message: string): void {
  process.stderr.write(`[feed bench] ${message}\n`);
}

function parseOptions(argv: readonly string[]): Options {
  const number = (name: string, fallback: number): number => positiveIntOption(argv, name, fallback);
  const cpuProf = argv[argv.indexOf("--cpu-prof") + 1];
  if (argv.includes("--cpu-prof") && !["pull-only", "hybrid", "push-only"].includes(cpuProf ?? "")) {
    throw new Error("--cpu-prof takes a mode: pull-only, hybrid or push-only");
  }
  return {
    users: number("users", 10_000),
    posts: number("posts", 20),
    following: number("following", 20),
    audience: number("audience", 10_000),
    readers: number("readers", 1_000),
    groupReaders: number("group-readers", 200),
    sample: number("sample", 200),
    seconds: number("seconds", 10),
    warmup: number("warmup", 2),
    connections: number("connections", 50),
    port: number("port", 3931),
    seed: number("seed", 1),
    built: argv.includes("--built"),
    keep: argv.includes("--keep"),
    cpuProf: argv.includes("--cpu-prof") ? (cpuProf as Mode) : undefined,
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
