import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { expect } from "chai";
import { Registry } from "prom-client";
import { SearchMetrics } from "../../../lib/metrics/search-metrics";
import {
  LiveGenerationDropError,
  SearchIndexClosedError,
  SearchUnavailableError,
  UnknownGenerationError,
} from "../../../lib/search/errors";
import { errorOfThread, threadErrorOf } from "../../../lib/search/embedded/thread-protocol";
import { ThreadedSearchIndex } from "../../../lib/search/embedded/threaded-search-index";
import type { IndexOp } from "../../../lib/search/search-index";
import { rejectionOf } from "../../support/rejections";
import {
  describeFolderIndexContract,
  postDoc,
  postsQuery,
  putPost,
  randomWord,
} from "./search-index.contract";

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "mosaic-search-thread-"));
}

describeFolderIndexContract("ThreadedSearchIndex", (options) => new ThreadedSearchIndex(options));

describe("ThreadedSearchIndex", function () {
  const opened: ThreadedSearchIndex[] = [];
  const dirs: string[] = [];
  afterEach(async function () {
    await Promise.all(opened.splice(0).map((index) => index.close()));
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function openIndex(options: ConstructorParameters<typeof ThreadedSearchIndex>[0]) {
    const index = new ThreadedSearchIndex(options);
    opened.push(index);
    await index.open();
    return index;
  }

  it("rejects calls before open with SearchUnavailableError, and after close with SearchIndexClosedError", async function () {
    const index = new ThreadedSearchIndex({ dir: undefined });
    expect(await index.isReady()).to.equal(false);
    expect(await rejectionOf(index.searchPosts(postsQuery("x")))).to.be.instanceOf(SearchUnavailableError);
    expect(() => index.identity()).to.throw(SearchUnavailableError);
    await Promise.all([index.open(), index.open()]);
    expect(await index.isReady()).to.equal(true);
    expect(index.identity()).to.match(/^embedded:[0-9a-f-]{36}$/);
    await Promise.all([index.close(), index.close()]);
    expect(await index.isReady()).to.equal(false);
    expect(await rejectionOf(index.searchPosts(postsQuery("x")))).to.be.instanceOf(SearchIndexClosedError);
  });

  it("keeps the port's error classes across the thread", async function () {
    const index = await openIndex({ dir: undefined });
    const live = await index.generations.live();
    const dropped = await rejectionOf(index.generations.drop(live));
    expect(dropped).to.be.instanceOf(LiveGenerationDropError);
    expect((dropped as LiveGenerationDropError).generation).to.equal(live);
    const unknown = await rejectionOf(index.count("post", "mosaic-nope"));
    expect(unknown).to.be.instanceOf(UnknownGenerationError);
    expect((unknown as UnknownGenerationError).generation).to.equal("mosaic-nope");
    const malformed = { type: "post", op: "put", version: "0", doc: postDoc({ caption: "x" }) };
    expect(await rejectionOf(index.apply([malformed as IndexOp]))).to.be.instanceOf(RangeError);
  });

  it("keeps the identity the folder holds across a restart", async function () {
    const dir = await tempDir();
    dirs.push(dir);
    const first = new ThreadedSearchIndex({ dir });
    await first.open();
    const identity = first.identity();
    await first.close();
    const second = await openIndex({ dir });
    expect(second.identity()).to.equal(identity);
  });

  it("fails the calls of a thread that died, starts another on a later call, and loses nothing acknowledged", async function () {
    this.timeout(20_000);
    const dir = await tempDir();
    dirs.push(dir);
    const entry = path.resolve(__dirname, "../../fixtures/mortal-index-thread.ts");
    const index = await openIndex({ dir, entry, restartAfterMs: 2_000 });
    const marker = randomWord();
    const kept = postDoc({ caption: `kept ${marker}` });
    await index.apply([putPost(kept)]);
    const first = index.identity();

    const [killed, inFlight] = await Promise.all([
      rejectionOf(index.searchPosts(postsQuery("die now"))),
      rejectionOf(index.searchPosts(postsQuery(marker))),
    ]);
    expect(killed).to.be.instanceOf(SearchUnavailableError);
    expect(inFlight).to.be.instanceOf(SearchUnavailableError);
    // Not started again at once: a thread that dies as it starts would otherwise be started in a loop.
    expect(await index.isReady()).to.equal(false);
    expect(await rejectionOf(index.searchPosts(postsQuery(marker)))).to.be.instanceOf(SearchUnavailableError);

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await index.searchPosts(postsQuery(marker))).ids).to.deep.equal([kept.id]);
    expect(await index.isReady()).to.equal(true);
    expect(index.identity()).to.equal(first);
  });

  it("reports its thread's heap as mosaic_search_index_heap_bytes, and 0 once closed", async function () {
    // Node has asked a worker for its heap since 22.16; `npm test` runs on the .nvmrc's Node 22.
    if (typeof Worker.prototype.getHeapStatistics !== "function") this.skip();
    const registry = new Registry();
    const metrics = new SearchMetrics(registry);
    const sample = async () => /^mosaic_search_index_heap_bytes (\d+)$/m.exec(await registry.metrics())?.[1];
    expect(await sample()).to.equal("0");

    const index = await openIndex({ dir: undefined });
    metrics.watchIndexHeap(() => index.heapUsedBytes());
    const empty = Number(await sample());
    const filler = Array.from({ length: 200 }, () => randomWord(8)).join(" ");
    const ops = Array.from({ length: 2_000 }, () =>
      putPost(postDoc({ caption: `${filler} ${randomWord()}` })),
    );
    await index.apply(ops);
    const full = Number(await sample());
    // 2,000 captions of 200 distinct words each: far more than a megabyte of postings, on the thread's heap.
    expect(full - empty).to.be.greaterThan(1_000_000);

    await index.close();
    expect(await index.heapUsedBytes()).to.equal(undefined);
    expect(await sample()).to.equal("0");
  });

  it("tries a failed open again when asked again", async function () {
    const dir = await tempDir();
    dirs.push(dir);
    const blocker = path.join(dir, "search");
    await writeFile(blocker, "not a folder");
    const index = new ThreadedSearchIndex({ dir: blocker, restartAfterMs: 0 });
    opened.push(index);
    const failed = await rejectionOf(index.open());
    expect(failed).to.be.instanceOf(SearchUnavailableError);
    // The reason crossed the thread with its cause, as the index in process gives it.
    expect((failed as Error).message).to.include("cannot be opened");
    expect(((failed as Error).cause as { code?: string } | undefined)?.code).to.be.oneOf([
      "EEXIST",
      "ENOTDIR",
    ]);
    expect(await index.isReady()).to.equal(false);

    // Asked again before it may start another thread, it answers the reason the last one did not open.
    const waiting = new ThreadedSearchIndex({ dir: blocker, restartAfterMs: 60_000 });
    opened.push(waiting);
    await rejectionOf(waiting.open());
    expect(((await rejectionOf(waiting.open())) as Error).message).to.include("cannot be opened");
    await rm(blocker);
    await index.open();
    expect(await index.isReady()).to.equal(true);
  });

  it("fails a query the thread does not answer in time, and answers the next one", async function () {
    const entry = path.resolve(__dirname, "../../fixtures/mortal-index-thread.ts");
    const index = await openIndex({ dir: undefined, entry, queryTimeoutMs: 200 });
    const marker = randomWord();
    const post = postDoc({ caption: marker });
    await index.apply([putPost(post)]);
    const stalled = await rejectionOf(index.searchPosts(postsQuery("stall now")));
    expect(stalled).to.be.instanceOf(SearchUnavailableError);
    expect((stalled as Error).message).to.include("within 200 ms");
    // Once the thread is free again (the stall holds it a second), its late answer is dropped and the next query
    // is answered as usual.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await index.searchPosts(postsQuery(marker))).ids).to.deep.equal([post.id]);
  });

  it("lets a process that never closes it exit once its calls are answered", async function () {
    this.timeout(30_000);
    const script = path.resolve(__dirname, "../../fixtures/threaded-index-left-open.ts");
    const child = spawn(process.execPath, [...process.execArgv, script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(null);
      }, 20_000);
      child.on("exit", (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(out.trim()).to.equal("found 1");
    expect(code, "the process did not exit by itself").to.equal(0);
  });

  it("brings errors back across the thread with their class and causes", function () {
    const diskFull = Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    const unavailable = errorOfThread(
      threadErrorOf(new SearchUnavailableError("the search log cannot be written", { cause: diskFull })),
    );
    expect(unavailable).to.be.instanceOf(SearchUnavailableError);
    expect((unavailable.cause as { code?: string }).code).to.equal("ENOSPC");
    // A bug in the thread stays a bug, not an outage the caller would retry.
    const bug = errorOfThread(threadErrorOf(new TypeError("x is not a function")));
    expect(bug).to.not.be.instanceOf(SearchUnavailableError);
    expect(bug.name).to.equal("TypeError");
    expect(bug.stack).to.include("x is not a function");
  });

  it("answers SearchUnavailableError once its thread runs out of memory, and loses nothing it acknowledged", async function () {
    this.timeout(60_000);
    const dir = await tempDir();
    dirs.push(dir);
    const index = new ThreadedSearchIndex({ dir, heapLimitMb: 24, restartAfterMs: 60_000 });
    await index.open();
    const marker = randomWord();
    const kept = postDoc({ caption: `kept ${marker}` });
    await index.apply([putPost(kept)]);
    // Batches of long captions until the thread's heap is full and V8 ends the thread.
    const filler = Array.from({ length: 400 }, () => randomWord(8)).join(" ");
    let failure: unknown;
    let acknowledged = 0;
    for (let batch = 0; batch < 400 && failure === undefined; batch++) {
      const ops = Array.from({ length: 200 }, () =>
        putPost(postDoc({ caption: `${filler} ${randomWord()}` })),
      );
      await index.apply(ops).then(
        () => acknowledged++,
        (error: unknown) => (failure = error),
      );
    }
    expect(failure).to.be.instanceOf(SearchUnavailableError);
    expect(await index.isReady()).to.equal(false);
    expect(await rejectionOf(index.searchPosts(postsQuery(marker)))).to.be.instanceOf(SearchUnavailableError);
    await index.close();

    const restarted = await openIndex({ dir });
    expect((await restarted.searchPosts(postsQuery(marker))).ids).to.deep.equal([kept.id]);
    expect(await restarted.count("post")).to.be.at.least(1 + 200 * acknowledged);
  });
});
