import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EmbeddedSearchIndex } from "../lib/search/embedded/embedded-search-index";
import { SNAPSHOT_FILE } from "../lib/search/embedded/files";
import type { IndexOp, PostDocument } from "../lib/search/search-index";
import { positiveIntOption } from "./support/options";

/**
 * The embedded search index's memory and write rate on posts shaped like Instagram's: captions of about ten
 * words drawn from a 30,000-word vocabulary by Zipf's law (a few words everywhere, most rare), two hashtags from
 * 5,000 (also Zipf), applied in batches as the search service applies the outbox. Twice: in memory only, and on
 * disk (each batch fsynced to the log, a snapshot every 50,000 ops, one more on close), where it also reports the
 * snapshot's size and how long a restart takes to load it.
 *
 *   bash scripts/use-node.sh node --expose-gc --import tsx bench/search-memory.ts [--posts 100000] [--batch 500]
 */

/** A deterministic PRNG (mulberry32), so every run indexes the same posts. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES =
  "ba be bi bo bu ca ce ci co da de di do fa fe fi ga go ha he ja jo ka ke ki la le li lo lu ma me mi mo mu na ne ni no pa pe pi po ra re ri ro ru sa se si so ta te ti to va ve vi vo za zo".split(
    " ",
  );

/** `size` distinct pronounceable words of 1 to 4 syllables; some carry an accent, as real captions do. */
function vocabulary(size: number, next: () => number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const syllables = 1 + Math.floor(next() * 4);
    let word = "";
    for (let i = 0; i < syllables; i++) word += SYLLABLES[Math.floor(next() * SYLLABLES.length)];
    if (next() < 0.05) word = word.replace("e", "é");
    words.add(word);
  }
  return [...words];
}

/** Draws ranks by Zipf's law (weight 1/rank) from a table of cumulative weights. */
function zipf(size: number, next: () => number): () => number {
  const cumulative = new Float64Array(size);
  let sum = 0;
  for (let rank = 0; rank < size; rank++) cumulative[rank] = sum += 1 / (rank + 1);
  return () => {
    const target = next() * sum;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

/** The posts to index, and the vocabulary their captions are drawn from (most common first). */
function corpus(): { words: string[]; makePost: (i: number) => PostDocument } {
  const next = random(12);
  const words = vocabulary(30_000, next);
  const tags = vocabulary(5_000, random(34)).map((tag) => `${tag}${Math.floor(next() * 100)}`);
  const word = zipf(words.length, next);
  const tag = zipf(tags.length, next);
  const makePost = (i: number): PostDocument => {
    const caption: string[] = [];
    const length = 8 + Math.floor(next() * 5);
    for (let w = 0; w < length; w++) caption.push(words[word()]!);
    const first = tags[tag()]!;
    let second = tags[tag()]!;
    while (second === first) second = tags[tag()]!;
    const hashtags = [first, second];
    caption.push(...hashtags.map((name) => `#${name}`));
    caption[0] = caption[0]!.charAt(0).toUpperCase() + caption[0]!.slice(1);
    return {
      id: String(7_000_000_000_000_000_000n + BigInt(i)),
      authorId: String(6_000_000_000_000_000_000n + BigInt(i % 10_000)),
      caption: caption.join(" "),
      hashtags,
      authorPrivate: i % 10 === 0,
      createdAt: 1_750_000_000_000 + i * 1_000,
    };
  };
  return { words, makePost };
}

function heapUsed(): number {
  if (globalThis.gc === undefined) throw new Error("run with node --expose-gc");
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => Number((bytes / MiB).toFixed(1));

/** The mean time of a query of 20 posts, by text and mode: filled by measure(). */
const queryTimes: Record<string, number | string>[] = [];

async function measure(
  label: string,
  dir: string | undefined,
  posts: number,
  batch: number,
): Promise<Record<string, number | string>> {
  const { words, makePost } = corpus();
  const index = new EmbeddedSearchIndex({ dir });
  await index.open();
  const before = heapUsed();
  let applying = 0;
  for (let start = 0; start < posts; start += batch) {
    const ops: IndexOp[] = [];
    for (let i = start; i < Math.min(posts, start + batch); i++) {
      ops.push({ type: "post", op: "put", doc: makePost(i), version: String(i + 1) });
    }
    const began = process.hrtime.bigint();
    await index.apply(ops);
    applying += Number(process.hrtime.bigint() - began) / 1e9;
  }
  const after = heapUsed();

  // From a two-letter prefix (most posts match) to a rare word with a typo.
  const rare = words[20_000]!;
  const queries = [
    words[0]!.slice(0, 2),
    words[0]!,
    words[100]!,
    `${words[10]!} ${words[200]!}`,
    rare,
    `${rare.slice(0, -1)}x`,
  ];
  const queryMs: Record<string, number> = {};
  for (const text of queries) {
    const began = process.hrtime.bigint();
    for (let round = 0; round < 20; round++) {
      await index.searchPosts({
        text,
        limit: 20,
        offset: 0,
        order: "relevance",
        excludeAuthorIds: [],
        privateAuthorIds: [],
      });
    }
    queryMs[`"${text}"`] = Number((Number(process.hrtime.bigint() - began) / 1e6 / 20).toFixed(1));
  }

  const row: Record<string, number | string> = {
    mode: label,
    posts: await index.count("post"),
    "heap before MiB": mib(before),
    "heap after MiB": mib(after),
    "index MiB": mib(after - before),
    "bytes/post": Math.round((after - before) / posts),
    "apply docs/s": Math.round(posts / applying),
  };
  queryTimes.push({ mode: label, ...queryMs });
  const closing = process.hrtime.bigint();
  await index.close();
  if (dir !== undefined) {
    row["close (snapshot) s"] = Number((Number(process.hrtime.bigint() - closing) / 1e9).toFixed(2));
    row["snapshot MiB"] = mib((await stat(path.join(dir, SNAPSHOT_FILE))).size);
    const opening = process.hrtime.bigint();
    const reopened = new EmbeddedSearchIndex({ dir });
    await reopened.open();
    row["reopen s"] = Number((Number(process.hrtime.bigint() - opening) / 1e9).toFixed(2));
    await reopened.close();
  }
  return row;
}

async function main(): Promise<void> {
  const posts = positiveIntOption(process.argv, "posts", 100_000);
  const batch = positiveIntOption(process.argv, "batch", 500);
  const sample = corpus().makePost(1);
  console.log(
    `${posts} posts in batches of ${batch}; a caption looks like: ${JSON.stringify(sample.caption)}`,
  );
  const rows = [await measure("memory", undefined, posts, batch)];
  const dir = await mkdtemp(path.join(os.tmpdir(), "mosaic-bench-search-"));
  try {
    rows.push(await measure("disk (log + snapshots)", dir, posts, batch));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.table(rows);
  console.log("searchPosts, 20 results, mean ms of 20 runs, by text:");
  console.table(queryTimes);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
