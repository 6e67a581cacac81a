import path from "node:path";
import { usernames } from "../lib/accounts/tables";
import { LevelStore } from "../lib/store/level";
import { readFeed } from "./support/feed-http";
import { feedPlan, runLoad } from "./support/load-runner";
import { chooseEntry } from "./support/node-entry";
import { positiveIntOption } from "./support/options";
import { startBareServer, startMosaic, stop, waitIdle } from "./support/processes";
import { FEED_TABLES } from "./support/seed-feed";
import { sessionTokens } from "./support/sessions";

/**
 * The warm feed in steady state, on a data dir `bench:feed --keep` left: a node started on it (push-only, so
 * nothing is pulled at read time) serves GET /api/feed to the same readers round after round, against a bare
 * node:http server sending its first page, in the same run. bench:feed measures each mode once, a few seconds
 * after seeding it, and its figures move by a fifth from run to run; here the data is settled and the rounds
 * repeat, so a change to the read path shows as itself.
 *
 *   npm run bench:feed -- --users 2000 --readers 200 --keep     (prints the data dir)
 *   npx tsx bench/feed-steady.ts --data <dir> [--readers 200] [--rounds 3] [--seconds 5] [--built]
 */
const PORT = 3941;
const SECRET = "feed-steady-".padEnd(40, "x");
const TOKEN_TTL_S = 3_600;

async function main(): Promise<void> {
  const argv = process.argv;
  const at = argv.indexOf("--data");
  const dataDir = at > 0 ? argv[at + 1] : undefined;
  if (dataDir === undefined)
    throw new Error("--data <dir>: a data dir kept by `npm run bench:feed -- --keep`");
  const readers = positiveIntOption(argv, "readers", 200);
  const rounds = positiveIntOption(argv, "rounds", 3);
  const seconds = positiveIntOption(argv, "seconds", 5);
  const entry = await chooseEntry(argv.includes("--built"));
  const tokens = await sessionsFor(path.join(dataDir, "store"), readers);

  const node = await startMosaic(
    {
      PORT: String(PORT),
      DATA_DIR: dataDir,
      JWT_SECRET: SECRET,
      WORKER_ID: "3",
      CELEBRITY_THRESHOLD: "1000000000",
    },
    { built: entry.built },
  );
  const rows: Record<string, { "req/s": number; "p50 ms": number; "p99 ms": number }> = {};
  const ratios: number[] = [];
  try {
    await waitIdle(node.child);
    const plan = (url: string) => ({
      ...feedPlan(url, tokens, { connections: 50, seconds }),
      warmupSeconds: 1,
    });
    const page = await readFeed(node.url, tokens[0] ?? "", 20);
    const bare = await startBareServer(PORT + 1, {
      status: 200,
      headers: { "content-type": page.contentType },
      body: page.body,
    });
    try {
      for (let round = 1; round <= rounds; round++) {
        const ours = await runLoad(plan(node.url));
        const ref = await runLoad(plan(bare.url));
        rows[`mosaic, round ${round}`] = {
          "req/s": Math.round(ours.rps),
          "p50 ms": ours.p50,
          "p99 ms": ours.p99,
        };
        rows[`bare node:http, round ${round}`] = {
          "req/s": Math.round(ref.rps),
          "p50 ms": ref.p50,
          "p99 ms": ref.p99,
        };
        ratios.push(ours.rps / ref.rps);
      }
    } finally {
      await stop(bare.child);
    }
  } finally {
    await stop(node.child);
  }
  console.log(
    `GET /api/feed?limit=20, ${readers} readers, 50 connections, ${seconds} s a round; node: ${entry.why}`,
  );
  console.table(rows);
  console.log(`mosaic / bare by round: ${ratios.map((r) => r.toFixed(3)).join(", ")}`);
}

/** Readers reader_0… get a session each in the kept store, and an access token for it. */
async function sessionsFor(storePath: string, count: number): Promise<string[]> {
  const store = new LevelStore({ path: storePath });
  await store.open(FEED_TABLES);
  try {
    const userIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const userId = (await store.get(usernames, { username: `reader_${i}` }))?.user_id;
      if (userId === undefined) throw new Error(`no reader_${i} in ${storePath}: a data dir of bench:feed?`);
      userIds.push(userId);
    }
    return await sessionTokens(store, SECRET, userIds, { ttlSeconds: TOKEN_TTL_S, workerId: 4 });
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
