/**
 * Views of one popular post, counted the way Mosaic counts them (lib/views): two nodes each sum the views their
 * viewers report and flush every 2 s. Offers `--rate` views a second (default 10,000, from distinct viewers,
 * spread over both nodes) for `--seconds`, then prints the store writes made against the views counted, checks
 * the stored total is exact after the last flush, and measures in the same run the reference: one counter write
 * per view, as fast as the same store takes them.
 *
 *   npm run bench:views -- [--seconds 10] [--rate 10000]      (STORE=cassandra … to run it on Cassandra)
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../config";
import { createStore } from "../lib/store";
import type { WideRowStore } from "../lib/store/store";
import { PostViews, postViewCounts, viewCountsOf, viewTables } from "../lib/views";
import { positiveIntOption } from "./support/options";

const FLUSH_EVERY_MS = 2_000;
const TICK_MS = 10;
const REFERENCE_WRITES = 20_000;
const REFERENCE_CONCURRENCY = 64;

/** The store, with its counter writes counted. */
function counting(store: WideRowStore): { store: WideRowStore; writes: () => number } {
  let writes = 0;
  const counted = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === "increment" && typeof value === "function") {
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
  const seconds = positiveIntOption(process.argv, "seconds", 10);
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

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
