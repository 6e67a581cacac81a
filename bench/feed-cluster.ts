import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { SnowflakeGenerator } from "../lib/ids";
import { CassandraStore } from "../lib/store/cassandra";
import { dropTestKeyspace } from "../test/support/cassandra";
import { summariseProfile } from "./support/cpu-profile";
import { generateFeedGraph } from "./support/feed-graph";
import { readFeed, warmFeeds } from "./support/feed-http";
import { chooseEntry, nodeEntry } from "./support/node-entry";
import { feedPlan, runLoad } from "./support/load-runner";
import { positiveIntOption } from "./support/options";
import { startBareServer, stop } from "./support/processes";
import { FEED_TABLES, mintTokens, seedBase, seedTimelines, setCelebrities } from "./support/seed-feed";

const ROOT = path.resolve(__dirname, "..");
const run = promisify(execFile);
/** Longer than the 30 s after a node joins during which timeline owners keep no memory. */
const SETTLE_MS = 35_000;

/**
 * Issue #11's first cluster measurement: GET /api/feed through a gateway node and two timeline nodes over NATS,
 * on Cassandra and Redis (the infra scripts start what is not running, and stop it after), against a bare
 * node:http server sending the same page, in one run. Hybrid fan-out (celebrities pulled at read time), warm
 * readers. With `--cpu-prof`, each node's profile says where its time went.
 *
 *   npm run bench:feed-cluster [-- --users 2000 --seconds 10 --connections 50 --cpu-prof]
 */
async function main(): Promise<void> {
  const argv = process.argv;
  const users = positiveIntOption(argv, "users", 2_000);
  const seconds = positiveIntOption(argv, "seconds", 10);
  const connections = positiveIntOption(argv, "connections", 50);
  const readersWanted = positiveIntOption(argv, "readers", 500);
  const profile = argv.includes("--cpu-prof");
  const entry = await chooseEntry(argv.includes("--built"));
  const started = await infraUp();
  const keyspace = `mosaic_feedbench_${Date.now().toString(36)}`;
  const nodes: { name: string; child: ChildProcess; profileDir: string }[] = [];
  let dataDir: string | undefined;
  try {
    progress(`seeding ${users} users into Cassandra (keyspace ${keyspace})`);
    const graph = generateFeedGraph({
      users,
      meanFollowing: 20,
      maxFollowing: Math.min(1000, users - 1),
      zipfExponent: 1,
      minCelebrities: 24,
      groupSize: 10,
      groupCelebrities: [0],
      groupOrdinaryFollows: 20,
      audience: 100,
      seed: 42,
    });
    const store = new CassandraStore({
      contactPoints: ["127.0.0.1:9042"],
      localDataCenter: "datacenter1",
      keyspace,
      replication: { class: "SimpleStrategy", replication_factor: 1 },
      consistency: "localQuorum",
      requestTimeoutMs: 30_000,
      nodeId: "bench-seeder",
    });
    await store.open(FEED_TABLES);
    const seededAt = performance.now();
    const ids = new SnowflakeGenerator({ workerId: 1000 });
    const { seeded, count } = await seedBase(store, graph, ids, { postsPerAuthor: 20, now: Date.now() });
    await setCelebrities(
      store,
      [...graph.celebrities].map((i) => seeded.userIds[i] ?? ""),
      Date.now(),
      count,
    );
    await seedTimelines(
      store,
      graph,
      seeded,
      { ownPosts: false, followees: (a) => !graph.celebrities.has(a) },
      count,
    );
    await store.close();
    progress(`seeded ${count.rows.toLocaleString()} rows in ${seconds1(seededAt)} s`);

    const secret = randomBytes(48).toString("base64url");
    const namespace = `feedbench${Date.now().toString(36)}`;
    // The gateway node's media service keeps its blob folder here (no upload is made; it must not be ./data).
    dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-feed-cluster-"));
    const common = {
      TRANSPORTER: "nats://127.0.0.1:4222",
      NAMESPACE: namespace,
      STORE: "cassandra",
      CASSANDRA_CONTACT_POINTS: "127.0.0.1:9042",
      CASSANDRA_KEYSPACE: keyspace,
      REDIS_URL: "redis://127.0.0.1:6379",
      JWT_SECRET: secret,
      DATA_DIR: dataDir,
      CELEBRITY_THRESHOLD: String(graph.threshold),
      LOG_LEVEL: "warn",
      RATE_LIMITS: "off",
      ADAPTIVE_LIMIT: "off",
    };
    const roles = [
      { name: "timeline-a", env: { SERVICES: "timeline", WORKER_ID: "11", PORT: "3971" } },
      { name: "timeline-b", env: { SERVICES: "timeline", WORKER_ID: "12", PORT: "3972" } },
      {
        name: "gateway",
        env: {
          SERVICES: "gateway,users,graph,posts,media,transcoder,interactions,stories,inbox",
          WORKER_ID: "10",
          PORT: "3970",
        },
      },
    ];
    for (const role of roles) {
      const profileDir = await mkdtemp(path.join(os.tmpdir(), `mosaic-${role.name}-`));
      const child = startNode(
        {
          ...common,
          ...role.env,
          ...(profile && { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` }),
        },
        entry.built,
      );
      nodes.push({ name: role.name, child, profileDir });
    }
    const url = "http://127.0.0.1:3970";
    await waitReady(url);
    // Owners keep no actor memory for 30 s after a node joins (docs/architecture.md, "Ownership changes"):
    // measured before that, every read would rebuild from Cassandra.
    progress(`the cluster is ready; waiting ${SETTLE_MS / 1000} s for the owners to keep memory`);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const readers = graph.ordinaryReaders.slice(0, readersWanted);
    const tokens = await mintTokens(secret, seeded, readers);
    progress(`warming ${tokens.length} readers`);
    await warmFeeds(url, tokens, { concurrency: 8, limitMs: 120_000 });
    const page = await readFeed(url, tokens[0] ?? "", 20);
    const bare = await startBareServer(3973, {
      status: 200,
      headers: { "content-type": page.contentType },
      body: page.body,
    });
    try {
      const plan = (target: string) => feedPlan(target, tokens, { connections, seconds });
      progress("measuring the cluster");
      const processes = await clusterProcesses(nodes);
      const before = await cpuSeconds(processes);
      const ours = await runLoad(plan(url));
      const after = await cpuSeconds(processes);
      progress("measuring the bare server");
      const ref = await runLoad(plan(bare.url));
      console.log(
        `\nGET /api/feed?limit=20, ${connections} connections, ${seconds} s, ${tokens.length} warm readers; ` +
          `gateway + 2 timeline nodes over NATS on Cassandra and Redis (${entry.why})`,
      );
      console.table({
        "mosaic cluster": row(ours),
        "bare node:http": row(ref),
      });
      console.log(`ratio cluster / bare: ${(ours.rps / ref.rps).toFixed(3)} of the requests per second`);
      // One machine runs every part: where its two cores went during the cluster's run says what bounds it.
      const spent = Object.fromEntries(
        [...processes].map(([name]) => {
          const cpu = (after.get(name) ?? 0) - (before.get(name) ?? 0);
          return [
            name,
            { "CPU s": cpu.toFixed(1), "ms per request": ((cpu * 1000) / ours.requests).toFixed(2) },
          ];
        }),
      );
      console.log(`\nCPU time of each process during the cluster's run (${seconds + 3} s with the warm-up):`);
      console.table(spent);
    } finally {
      await stop(bare.child);
    }
  } finally {
    for (const node of [...nodes].reverse()) await stop(node.child);
    if (profile) {
      for (const node of nodes) {
        const summary = await summariseProfile(node.profileDir, 12).catch(() => undefined);
        if (summary === undefined) continue;
        console.log(`\nCPU profile of ${node.name} (share of busy samples), self time:`);
        console.table(summary.self);
      }
    }
    for (const node of nodes) await rm(node.profileDir, { recursive: true, force: true });
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    await dropTestKeyspace(keyspace).catch(() => undefined);
    await infraDown(started);
  }
}

/** The processes of the cluster by name: the nodes, and the servers found by their command line. */
async function clusterProcesses(
  nodes: readonly { name: string; child: ChildProcess }[],
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const node of nodes) if (node.child.pid !== undefined) found.set(node.name, node.child.pid);
  for (const [name, pattern] of [
    ["cassandra", "CassandraDaemon"],
    ["nats", "nats-server"],
    ["redis", "redis-server"],
  ] as const) {
    const { stdout } = await run("pgrep", ["-f", pattern]).catch(() => ({ stdout: "" }));
    const pid = Number(stdout.trim().split("\n")[0]);
    if (Number.isInteger(pid) && pid > 0) found.set(name, pid);
  }
  return found;
}

/** User and system CPU seconds each process has used (Linux: /proc/<pid>/stat, in clock ticks of 1/100 s). */
async function cpuSeconds(processes: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const used = new Map<string, number>();
  for (const [name, pid] of processes) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
    if (stat === undefined) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    used.set(name, (Number(fields[11]) + Number(fields[12])) / 100);
  }
  return used;
}

function row(result: { rps: number; p50: number; p99: number; max: number }) {
  return {
    "req/s": Math.round(result.rps),
    "p50 ms": result.p50,
    "p99 ms": result.p99,
    "max ms": result.max,
  };
}

function startNode(env: Record<string, string>, built: boolean): ChildProcess {
  return spawn(process.execPath, nodeEntry(built), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`${url}/health/ready`)
      .then((res) => res.status === 200)
      .catch(() => false);
    if (ready) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  const report = await fetch(`${url}/health/ready`)
    .then((res) => res.text())
    .catch((err: unknown) => String(err));
  throw new Error(`${url} did not become ready within 120 s: ${report}`);
}

/** Starts the servers the cluster needs (NATS, Redis, Cassandra) that are not running; answers which it started. */
async function infraUp(): Promise<string[]> {
  const started: string[] = [];
  for (const name of ["nats", "redis", "cassandra"]) {
    progress(`${name}: up`);
    const { stdout } = await run("bash", [path.join(ROOT, `scripts/infra/${name}.sh`), "up"], {
      cwd: ROOT,
      timeout: 600_000,
    });
    if (stdout.trim().split("\n").at(-1) === "started") started.push(name);
  }
  return started;
}

async function infraDown(started: readonly string[]): Promise<void> {
  for (const name of [...started].reverse()) {
    await run("bash", [path.join(ROOT, `scripts/infra/${name}.sh`), "down"], { cwd: ROOT }).catch(
      () => undefined,
    );
  }
}

function progress(message: string): void {
  console.error(`[feed-cluster bench] ${message}`);
}

function seconds1(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
