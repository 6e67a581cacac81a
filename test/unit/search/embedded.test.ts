import { spawn } from "node:child_process";
import { appendFile, copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { LiveGenerationDropError, SearchUnavailableError } from "../../../lib/search/errors";
import { EmbeddedSearchIndex } from "../../../lib/search/embedded/embedded-search-index";
import { LOG_FILE, SNAPSHOT_FILE } from "../../../lib/search/embedded/files";
import type { EmbeddedSearchIndexOptions } from "../../../lib/search/embedded/embedded-search-index";
import type { IndexOp } from "../../../lib/search/search-index";
import { rejectionOf } from "../../support/rejections";
import {
  deleteDoc,
  describeFolderIndexContract,
  newVersion,
  postDoc,
  postsQuery,
  putPost,
  putTag,
  putUser,
  randomWord,
  tagDoc,
  tagsQuery,
  userDoc,
  usersQuery,
} from "./search-index.contract";

const ROOT = path.resolve(__dirname, "../../..");

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "mosaic-search-"));
}

describeFolderIndexContract("EmbeddedSearchIndex", (options) => new EmbeddedSearchIndex(options));

describe("EmbeddedSearchIndex", function () {
  this.timeout(60_000);
  let dir: string;
  const opened: EmbeddedSearchIndex[] = [];

  /**
   * An open index on `dir`. Those a test abandons (a crash) stay open until the test is over: closing them earlier
   * would write their snapshot over the folder the next one reads.
   */
  async function openIndex(options: Partial<EmbeddedSearchIndexOptions> = {}): Promise<EmbeddedSearchIndex> {
    const index = new EmbeddedSearchIndex({ dir, ...options });
    await index.open();
    opened.push(index);
    return index;
  }

  beforeEach(async function () {
    dir = await tempDir();
  });

  afterEach(async function () {
    for (const index of opened.splice(0)) await index.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  const postIds = async (index: EmbeddedSearchIndex, text: string) =>
    (await index.searchPosts(postsQuery(text))).ids;

  /** A batch of one post, one user and one tag with the word, and the ids to look for. */
  function batch(word: string): { ops: IndexOp[]; postId: string; userId: string } {
    const post = postDoc({ caption: `${word} caption` });
    const user = userDoc({ username: word });
    return {
      ops: [putPost(post), putUser(user), putTag(tagDoc({ tag: word }))],
      postId: post.id,
      userId: user.id,
    };
  }

  async function expectFound(
    index: EmbeddedSearchIndex,
    word: string,
    found: { postId: string; userId: string },
  ) {
    expect(await postIds(index, word), word).to.deep.equal([found.postId]);
    expect((await index.searchUsers(usersQuery(word))).ids, word).to.deep.equal([found.userId]);
    expect(
      (await index.searchTags(tagsQuery(word))).items.map((item) => item.tag),
      word,
    ).to.deep.equal([word]);
  }

  describe("durability", function () {
    it("replays the log after a crash: what apply acknowledged is found, without a close", async function () {
      const crashed = await openIndex();
      const words = Array.from({ length: 5 }, () => randomWord());
      const batches = words.map(batch);
      for (const { ops } of batches) await crashed.apply(ops);
      const deleted = batches[4]!;
      await crashed.apply([deleteDoc("post", deleted.postId)]);
      const spare = await crashed.generations.create();
      await crashed.apply(batch(randomWord()).ops, spare);
      expect(await readdir(dir)).to.not.include(SNAPSHOT_FILE);

      const restarted = await openIndex();
      for (const [i, word] of words.slice(0, 4).entries()) await expectFound(restarted, word, batches[i]!);
      expect(await postIds(restarted, words[4]!)).to.deep.equal([]);
      expect(await restarted.generations.list()).to.include(spare);
      expect(await restarted.count("post", spare)).to.equal(1);
      expect(await restarted.count("post")).to.equal(4);
    });

    it("ignores a torn last line of the log, and cuts it before appending", async function () {
      const crashed = await openIndex();
      const word = randomWord();
      const found = batch(word);
      await crashed.apply(found.ops);
      const lost = randomWord();
      const line = JSON.stringify({ seq: 99, kind: "apply", generation: "x", at: 0, ops: batch(lost).ops });
      await appendFile(path.join(dir, LOG_FILE), line.slice(0, line.length - 20));

      const restarted = await openIndex();
      await expectFound(restarted, word, found);
      expect(await postIds(restarted, lost)).to.deep.equal([]);
      const after = randomWord();
      const later = batch(after);
      await restarted.apply(later.ops);

      const again = await openIndex();
      await expectFound(again, word, found);
      await expectFound(again, after, later);
    });

    it("recovers from a snapshot followed by more ops and a crash", async function () {
      const crashed = await openIndex({ snapshotEveryOps: 10 });
      const words = Array.from({ length: 8 }, () => randomWord());
      const batches = words.map(batch);
      for (const { ops } of batches.slice(0, 5)) await crashed.apply(ops);
      expect(await readdir(dir)).to.include(SNAPSHOT_FILE);
      const spare = await crashed.generations.create();
      for (const { ops } of batches.slice(5)) await crashed.apply(ops);
      const stale = postDoc({ caption: randomWord() });
      const early = newVersion();
      await crashed.apply([deleteDoc("post", stale.id)]);
      const logLines = (await readFile(path.join(dir, LOG_FILE), "utf8")).split("\n").filter(Boolean);
      expect(logLines.length, "the log holds only what followed the last snapshot").to.be.below(8);

      const restarted = await openIndex({ snapshotEveryOps: 10 });
      for (const [i, word] of words.entries()) await expectFound(restarted, word, batches[i]!);
      expect(await restarted.count("post")).to.equal(8);
      expect(await restarted.generations.list()).to.include(spare);
      await restarted.apply([putPost(stale, early)]);
      expect(await postIds(restarted, stale.caption)).to.deep.equal([]);
    });

    it("writes a snapshot on close and empties the log; the next open reads the snapshot alone", async function () {
      const index = await openIndex();
      const word = randomWord();
      const found = batch(word);
      await index.apply(found.ops);
      await index.close();
      expect((await readFile(path.join(dir, LOG_FILE))).length).to.equal(0);
      const restarted = await openIndex();
      await expectFound(restarted, word, found);
      await restarted.close();
    });

    it("writes the snapshot in lines of at most snapshotPartSize documents, postings or versions, and reads it back", async function () {
      const index = await openIndex({ snapshotPartSize: 3 });
      const words = Array.from({ length: 10 }, () => randomWord());
      const batches = words.map(batch);
      for (const { ops } of batches) await index.apply(ops);
      const gone = batches[9]!;
      await index.apply([deleteDoc("post", gone.postId)]);
      await index.close();

      const [header, ...lines] = (await readFile(path.join(dir, SNAPSHOT_FILE), "utf8"))
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(header).to.include({ format: "mosaic-search-snapshot/2" });
      // 10 posts, users and tags of about 3 terms each, and their versions: written whole per type, that is 3 lines.
      expect(lines.length).to.be.above(20);
      for (const line of lines) {
        const { index: part, versions } = line as {
          index?: { docs?: unknown[]; terms?: unknown[] };
          versions?: { live: unknown[]; tombstones: unknown[] };
        };
        const size =
          (part?.docs ?? part?.terms ?? []).length +
          (versions?.live.length ?? 0) +
          (versions?.tombstones.length ?? 0);
        expect(size, JSON.stringify(line).slice(0, 120)).to.be.at.most(3);
      }

      const restarted = await openIndex({ snapshotPartSize: 3 });
      for (const [i, word] of words.slice(0, 9).entries()) await expectFound(restarted, word, batches[i]!);
      expect(await postIds(restarted, words[9]!)).to.deep.equal([]);
      expect(await restarted.count("post")).to.equal(9);
      // The deletion's tombstone came back too: the deleted post's older version stays out.
      await restarted.apply([putPost(postDoc({ id: gone.postId, caption: words[9]! }), "1")]);
      expect(await postIds(restarted, words[9]!)).to.deep.equal([]);
    });

    it("opens a snapshot written whole per type (format 1, before snapshots were written in parts)", async function () {
      const fixture = path.join(ROOT, "test/fixtures/search-snapshot-v1");
      for (const name of await readdir(fixture))
        await copyFile(path.join(fixture, name), path.join(dir, name));
      // A minute after the fixture was made, so that its deletion's tombstone is within the hour it is kept.
      const now = () => 1_796_609_505_256 + 60_000;
      const index = await openIndex({ now });
      // The fixture holds one post found by "harbour", one deleted, a user and a tag (made by the format-1 code).
      expect(await postIds(index, "harbour")).to.deep.equal(["1796609505237000001"]);
      expect(await postIds(index, "deleted")).to.deep.equal([]);
      expect((await index.searchUsers(usersQuery("nunez"))).ids).to.have.length(1);
      expect((await index.searchTags(tagsQuery("harbour"))).items.map((item) => item.tag)).to.deep.equal([
        "harbour",
      ]);
      // A late put of the deleted post is still refused: its tombstone came through.
      await index.apply([putPost(postDoc({ id: "1796609505237000003", caption: "deleted again" }), "1")]);
      expect(await postIds(index, "deleted")).to.deep.equal([]);
      await index.close();
      const [header] = (await readFile(path.join(dir, SNAPSHOT_FILE), "utf8")).split("\n");
      expect(JSON.parse(header!)).to.include({ format: "mosaic-search-snapshot/2" });
      const reopened = await openIndex({ now });
      expect(await postIds(reopened, "harbour")).to.deep.equal(["1796609505237000001"]);
    });

    it("skips the log lines a snapshot holds already (a crash between the snapshot and emptying the log)", async function () {
      const index = await openIndex();
      const generation = await index.generations.create();
      const abandoned = await index.generations.create();
      const word = randomWord();
      const found = batch(word);
      await index.apply(found.ops, generation);
      const logBefore = await readFile(path.join(dir, LOG_FILE));
      await index.generations.drop(abandoned);
      await index.close();
      await writeFile(path.join(dir, LOG_FILE), logBefore);

      const restarted = await openIndex();
      // Replayed again, the "create" would have replaced the filled generation by an empty one, and brought the
      // dropped one back.
      expect(await restarted.count("post", generation)).to.equal(1);
      expect(await restarted.count("user", generation)).to.equal(1);
      expect(await restarted.generations.list()).to.not.include(abandoned);
    });

    it("ignores a snapshot that a crash left half written, and deletes it", async function () {
      const index = await openIndex();
      const word = randomWord();
      const found = batch(word);
      await index.apply(found.ops);
      await writeFile(path.join(dir, `${SNAPSHOT_FILE}.123-abcdef.tmp`), '{"format":"mosaic-search-snap');
      const restarted = await openIndex();
      await expectFound(restarted, word, found);
      expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).to.deep.equal([]);
    });

    it("refuses to open on a damaged snapshot, with SearchUnavailableError", async function () {
      await writeFile(path.join(dir, SNAPSHOT_FILE), "not json\n");
      const index = new EmbeddedSearchIndex({ dir });
      expect(await rejectionOf(index.open())).to.be.instanceOf(SearchUnavailableError);
      expect(await index.isReady()).to.equal(false);
    });

    it("loses none of many concurrent batches (logged together)", async function () {
      const crashed = await openIndex();
      const words = Array.from({ length: 40 }, () => randomWord());
      const batches = words.map(batch);
      await Promise.all(batches.map(({ ops }) => crashed.apply(ops)));
      const logLines = (await readFile(path.join(dir, LOG_FILE), "utf8")).split("\n").filter(Boolean);
      expect(logLines, "a line per batch, and one for the live generation").to.have.length(41);
      const restarted = await openIndex();
      for (const [i, word] of words.entries()) await expectFound(restarted, word, batches[i]!);
    });

    it("loses nothing apply acknowledged when the process is killed", async function () {
      // A real process applying one post at a time, SIGKILLed while it writes; a snapshot every 100 ops, so the
      // kill finds a snapshot, a log after it, and maybe a snapshot or a log line being written.
      const script = `
        const { EmbeddedSearchIndex } = require(${JSON.stringify(path.join(ROOT, "lib/search/embedded/embedded-search-index.ts"))});
        const index = new EmbeddedSearchIndex({ dir: process.env.SEARCH_DIR, snapshotEveryOps: 100 });
        (async () => {
          await index.open();
          for (let i = 1; ; i++) {
            const doc = { id: String(i), authorId: "1", caption: "crash w" + i, hashtags: [], authorPrivate: false, createdAt: i };
            await index.apply([{ type: "post", op: "put", doc, version: String(i) }]);
            process.stdout.write(i + "\\n");
          }
        })();
      `;
      const child = spawn(process.execPath, ["--import", "tsx", "-e", script], {
        cwd: ROOT,
        env: { ...process.env, SEARCH_DIR: dir },
        stdio: ["ignore", "pipe", "inherit"],
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      let acknowledged = 0;
      let output = "";
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("the child acknowledged too few batches")), 30_000);
          child.stdout.on("data", (chunk: Buffer) => {
            output += chunk.toString();
            const lines = output.split("\n");
            output = lines.pop() ?? "";
            for (const line of lines) acknowledged = Math.max(acknowledged, Number(line));
            if (acknowledged >= 350) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
      } finally {
        child.kill("SIGKILL");
        await exited;
      }
      expect(acknowledged).to.be.at.least(350);
      const restarted = await openIndex();
      expect(await restarted.count("post")).to.be.at.least(acknowledged);
      for (let i = 1; i <= acknowledged; i++) {
        expect(await postIds(restarted, `crash w${i}`), `post ${i}`).to.include(String(i));
      }
    });
  });

  describe("identity", function () {
    it("keeps its identity in its folder across restarts, and two folders have two", async function () {
      const [dirA, dirB] = [
        await mkdtemp(path.join(tmpdir(), "mosaic-id-")),
        await mkdtemp(path.join(tmpdir(), "mosaic-id-")),
      ];
      try {
        const first = new EmbeddedSearchIndex({ dir: dirA });
        await first.open();
        const id = first.identity();
        await first.close();
        const again = new EmbeddedSearchIndex({ dir: dirA });
        await again.open();
        expect(again.identity()).to.equal(id);
        const other = new EmbeddedSearchIndex({ dir: dirB });
        await other.open();
        expect(other.identity()).to.not.equal(id);
        await Promise.all([again.close(), other.close()]);
        expect(id).to.match(/^embedded:/);
      } finally {
        await Promise.all([
          rm(dirA, { recursive: true, force: true }),
          rm(dirB, { recursive: true, force: true }),
        ]);
      }
    });
  });

  describe("vacuuming", function () {
    it("drops replaced documents' terms while writes keep coming, without breaking the term tree", async function () {
      this.timeout(60_000);
      const index = new EmbeddedSearchIndex({ dir: undefined });
      await index.open();
      const user = (n: number, name: string, version: number) =>
        ({
          type: "user",
          op: "put",
          version: String(version),
          doc: {
            id: String(1_000 + n),
            username: `u${n}_${name}`,
            displayName: `${name} ${n}`,
            isPrivate: false,
            followerCount: n,
          },
        }) as const;
      const ops = (name: string, version: number, from: number, to: number) =>
        Array.from({ length: to - from }, (_, i) => user(from + i, name, version));
      // Every account renamed three times: three quarters of the index is dirt, vacuumed as it goes, while new
      // accounts arrive in small batches that reshape the term tree.
      await index.apply(ops("first", 1, 0, 3_000));
      const writes: Promise<void>[] = [];
      for (const [round, name] of ["second", "third", "fourth"].entries()) {
        writes.push(index.apply(ops(name, round + 2, 0, 3_000)));
        for (let batch = 0; batch < 20; batch++) {
          writes.push(
            index.apply(
              ops(
                `new${round}x${batch}`,
                1,
                10_000 + round * 1_000 + batch * 50,
                10_000 + round * 1_000 + batch * 50 + 50,
              ),
            ),
          );
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      }
      await Promise.all(writes);
      expect(await index.count("user")).to.equal(6_000);
      const found = await index.searchUsers({
        text: "fourth",
        limit: 100,
        offset: 0,
        excludeIds: [],
        followedIds: [],
      });
      expect(found.ids).to.have.length(100);
      const stale = await index.searchUsers({
        text: "second",
        limit: 10,
        offset: 0,
        excludeIds: [],
        followedIds: [],
      });
      expect(stale.ids, "a replaced name no longer matches").to.deep.equal([]);
      await index.close();
    });
  });

  describe("deletions", function () {
    it("remembers a deletion for at least ten minutes, and forgets it after tombstoneMs", async function () {
      let now = 1_750_000_000_000;
      const index = await openIndex({ dir: undefined, now: () => now, tombstoneMs: 60 * 60_000 });
      const post = postDoc({ caption: randomWord() });
      const early = newVersion();
      await index.apply([deleteDoc("post", post.id)]);
      now += 59 * 60_000;
      await index.apply([putPost(post, early)]);
      expect(await postIds(index, post.caption)).to.deep.equal([]);
      now += 2 * 60_000;
      await index.apply([putPost(post, early)]);
      expect(await postIds(index, post.caption)).to.deep.equal([post.id]);
    });

    it("keeps deletions ten minutes even when asked for less", async function () {
      let now = 1_750_000_000_000;
      const index = await openIndex({ dir: undefined, now: () => now, tombstoneMs: 1_000 });
      const post = postDoc({ caption: randomWord() });
      const early = newVersion();
      await index.apply([deleteDoc("post", post.id)]);
      now += 9 * 60_000;
      await index.apply([putPost(post, early)]);
      expect(await postIds(index, post.caption)).to.deep.equal([]);
    });

    it("forgets a deletion at the same time after a restart, from the time the log kept", async function () {
      let now = 1_750_000_000_000;
      const crashed = await openIndex({ now: () => now });
      const post = postDoc({ caption: randomWord() });
      const early = newVersion();
      await crashed.apply([deleteDoc("post", post.id)]);
      now += 30 * 60_000;
      const restarted = await openIndex({ now: () => now });
      await restarted.apply([putPost(post, early)]);
      expect(await postIds(restarted, post.caption)).to.deep.equal([]);
      now += 31 * 60_000;
      await restarted.apply([putPost(post, early)]);
      expect(await postIds(restarted, post.caption)).to.deep.equal([post.id]);
    });
  });

  describe("lifecycle and input", function () {
    it("rejects operations before open with SearchUnavailableError, and opens once however often asked", async function () {
      const index = new EmbeddedSearchIndex({ dir: undefined });
      expect(await index.isReady()).to.equal(false);
      expect(await rejectionOf(index.searchPosts(postsQuery("x")))).to.be.instanceOf(SearchUnavailableError);
      expect(await rejectionOf(index.apply([]))).to.be.instanceOf(SearchUnavailableError);
      await Promise.all([index.open(), index.open()]);
      await index.open();
      expect(await index.generations.list()).to.have.length(1);
      await index.close();
    });

    it("refuses a malformed op with a RangeError, and applies nothing of its batch", async function () {
      const index = await openIndex({ dir: undefined });
      const word = randomWord();
      const good = putPost(postDoc({ caption: word }));
      const malformed: unknown[] = [
        { ...good, version: "0" },
        { ...good, version: "01" },
        { ...good, version: "9223372036854775808" },
        { ...good, version: 5 },
        { ...good, type: "comment" },
        { type: "post", op: "put", version: "5", doc: { id: "1", caption: 3 } },
        { type: "post", op: "delete", version: "5" },
        { type: "post", op: "upsert", version: "5", id: "1" },
        null,
      ];
      for (const op of malformed) {
        const error = await rejectionOf(index.apply([good, op as IndexOp]));
        expect(error, JSON.stringify(op)).to.be.instanceOf(RangeError);
      }
      expect(await postIds(index, word)).to.deep.equal([]);
    });

    it("refuses to drop the live generation with LiveGenerationDropError", async function () {
      const index = await openIndex({ dir: undefined });
      const live = await index.generations.live();
      const error = await rejectionOf(index.generations.drop(live));
      expect(error).to.be.instanceOf(LiveGenerationDropError);
      expect((error as LiveGenerationDropError).retryable).to.equal(false);
    });

    it("names generations as OpenSearch does, by the time they were made", async function () {
      const index = await openIndex({ dir: undefined, now: () => Date.UTC(2026, 11, 5, 23, 15, 0) });
      expect(await index.generations.live()).to.equal("mosaic-20261205t231500");
      const next = await index.generations.create();
      expect(next).to.match(/^mosaic-20261205t231500-\d+$/);
    });

    it("folds letters that carry no combining mark, as asciifolding does", async function () {
      const index = await openIndex({ dir: undefined });
      const marker = randomWord();
      const post = postDoc({ caption: `Øster Straße Łódź ${marker}` });
      await index.apply([putPost(post)]);
      expect(await postIds(index, `oster strasse lodz ${marker}`)).to.deep.equal([post.id]);
    });

    it("finds a display name written in two words by the two run together", async function () {
      const index = await openIndex({ dir: undefined });
      const marker = randomWord(6);
      const user = userDoc({ username: `${marker}_x`, displayName: `Jo Jo ${marker}` });
      await index.apply([putUser(user)]);
      expect((await index.searchUsers(usersQuery(`jojo ${marker}`))).ids).to.deep.equal([user.id]);
    });

    it("finds a post by a tag it carries", async function () {
      const index = await openIndex({ dir: undefined });
      const marker = randomWord();
      const post = postDoc({ caption: `sunset #${marker}_vibes`, hashtags: [`${marker}_vibes`] });
      await index.apply([putPost(post), putTag(tagDoc({ tag: `${marker}_vibes` }))]);
      expect(await postIds(index, `${marker}vibes`)).to.deep.equal([post.id]);
      expect(await postIds(index, `${marker} vibes`)).to.deep.equal([post.id]);
    });
  });
});
