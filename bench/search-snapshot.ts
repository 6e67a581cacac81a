import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EmbeddedSearchIndex } from "../lib/search/embedded/embedded-search-index";
import { SNAPSHOT_FILE } from "../lib/search/embedded/files";
import type { IndexOp } from "../lib/search/search-index";
import { positiveIntOption } from "./support/options";
import { generateSearchDataset, searchDocuments } from "./support/seed-search";

/**
 * How long the embedded search index holds the event loop while it writes a snapshot (every 50,000 index ops and
 * on close), on the search bench's dataset (10,000 accounts, 200,000 posts by default). A node serves nothing
 * during one turn of the loop, so the longest turn is what a request may wait behind a snapshot.
 *
 * Measured in the same run on the same index: the snapshot in parts of 2,000 documents or postings (the default),
 * and with unbounded parts, where each kind (documents, terms, versions) of each type is made in one turn, as
 * format 1 made each type. Also how long a restart takes to read the snapshot back.
 *
 *   npm run bench:search-snapshot [-- --posts 200000 --users 10000 --batch 1000]
 */
async function main(): Promise<void> {
  const argv = process.argv;
  const posts = positiveIntOption(argv, "posts", 200_000);
  const users = positiveIntOption(argv, "users", 10_000);
  const batch = positiveIntOption(argv, "batch", 1_000);
  const docs = searchDocuments(
    generateSearchDataset({ users, posts, days: 30, now: Date.UTC(2026, 11, 1), seed: 7 }),
  );
  let version = 1_000_000n;
  const next = () => String(++version);
  const ops: IndexOp[] = [
    ...docs.users.map((doc): IndexOp => ({ type: "user", op: "put", doc, version: next() })),
    ...docs.posts.map((doc): IndexOp => ({ type: "post", op: "put", doc, version: next() })),
    ...docs.tags.map((doc): IndexOp => ({ type: "tag", op: "put", doc, version: next() })),
  ];
  const dir = await mkdtemp(path.join(os.tmpdir(), "mosaic-bench-snapshot-"));
  try {
    const never = Number.MAX_SAFE_INTEGER;
    const filling = new EmbeddedSearchIndex({ dir, snapshotEveryOps: never });
    await filling.open();
    const started = performance.now();
    for (let i = 0; i < ops.length; i += batch) await filling.apply(ops.slice(i, i + batch));
    progress(`indexed ${ops.length} documents in ${seconds(started)} s`);

    const rows: Record<string, Row> = {};
    rows["parts of 2,000 (default)"] = await measuredClose(filling, dir);
    // The same index read back, one more op, and written again with unbounded parts.
    const restarted = performance.now();
    const whole = new EmbeddedSearchIndex({ dir, snapshotEveryOps: never, snapshotPartSize: never });
    await whole.open();
    const restartMs = performance.now() - restarted;
    await whole.apply(ops.slice(0, 1).map((op) => ({ ...op, version: next() })));
    rows["unbounded parts (one turn per kind, as format 1)"] = await measuredClose(whole, dir);

    console.log(
      `Snapshot of the embedded search index: ${docs.users.length} users, ${docs.posts.length} posts, ` +
        `${docs.tags.length} tags`,
    );
    console.table(rows);
    const [parts, unbounded] = Object.values(rows);
    if (parts && unbounded) {
      console.log(
        `longest turn: ${parts["longest turn ms"]} ms in parts against ${unbounded["longest turn ms"]} ms ` +
          `unbounded (${(parts["longest turn ms"] / unbounded["longest turn ms"]).toFixed(3)})`,
      );
    }
    console.log(`a restart read the snapshot back in ${(restartMs / 1000).toFixed(1)} s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Row {
  "snapshot and close ms": number;
  "longest turn ms": number;
  "file MiB": number;
  lines: number;
}

/** Closes the index (which writes its snapshot), timing it and the longest event-loop turn meanwhile. */
async function measuredClose(index: EmbeddedSearchIndex, dir: string): Promise<Row> {
  let last = performance.now();
  let longest = 0;
  // A tick every millisecond: the gap between two is the turn that ran between them (plus the 1 ms).
  const probe = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  await index.close();
  const took = performance.now() - started;
  clearInterval(probe);
  longest = Math.max(longest, performance.now() - last);
  const text = await readFile(path.join(dir, SNAPSHOT_FILE));
  return {
    "snapshot and close ms": Math.round(took),
    "longest turn ms": Math.round(longest),
    "file MiB": Math.round((text.length / 2 ** 20) * 10) / 10,
    lines: text.toString("utf8").split("\n").filter(Boolean).length,
  };
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

function progress(message: string): void {
  process.stderr.write(`[search snapshot bench] ${message}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
