import { setTimeout as sleep } from "node:timers/promises";
import { rm } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import type { Page } from "../../lib/validation/page";
import type { PostView, TagView, UserView } from "../../lib/contracts/objects";
import { createNode } from "../../broker/create-node";
import { loadConfig } from "../../config";
import {
  api,
  signup,
  startTestNode,
  uniqueName,
  type Account,
  type ErrorBody,
  type TestNode,
} from "../support/test-node";
import { cassandraNodeEnv } from "../support/cassandra";
import { createPost } from "../support/media";
import { rejectionOf } from "../support/rejections";
import { SearchReindexer } from "../../lib/search/reindex";
import { StoreSearchSources } from "../../lib/search/store-sources";
import { SYNTAX_CHARACTERS } from "../unit/search/search-index.contract";

/** Polls until `check` passes: indexing is asynchronous, within about a second. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, ms = 8_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) return value;
    await sleep(50);
  }
}

describe("search through the gateway (embedded index)", function () {
  this.timeout(120_000);
  let t: TestNode;

  before(async () => {
    t = await startTestNode({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "error" });
  });
  after(async () => {
    await t.stop();
  });

  const search = <T>(who: Account, q: string, type: string, extra = "") =>
    api<Page<T>>(t.url, "GET", `/api/search?q=${encodeURIComponent(q)}&type=${type}${extra}`, {
      token: who.token,
    });
  const users = (who: Account, q: string) => search<UserView>(who, q, "users");
  const posts = (who: Account, q: string, extra = "") => search<PostView>(who, q, "posts", extra);
  const tags = (who: Account, q: string) => search<TagView>(who, q, "tags");
  const names = (page: Page<UserView>) => page.items.map((u) => u.username);
  const ids = (page: Page<PostView>) => page.items.map((p) => p.id);
  const rename = (who: Account, displayName: string) =>
    api(t.url, "PATCH", "/api/me", { token: who.token, body: { displayName } });

  describe("users", () => {
    it("finds people by name with typos, without accents, and the exact username first", async () => {
      const tag = Math.random().toString(36).slice(2, 7);
      const mariana = await signup(t.url, `mariana_${tag}`);
      await rename(mariana, `Mariana Ñúñez ${tag}`);
      const jose = await signup(t.url, `jose_${tag}`);
      await rename(jose, `José ${tag}`);
      const near = await signup(t.url, `mariana_${tag}x`);
      const reader = await signup(t.url);

      const typo = await eventually(
        () => users(reader, `marianna ${tag}`),
        (r) => names(r.body).includes(mariana.username),
      );
      expect(typo.status).to.equal(200);
      expect(names(typo.body), "a typo").to.include(mariana.username);
      expect(names((await users(reader, `nunez ${tag}`)).body), "without accents").to.include(
        mariana.username,
      );
      // Each rename is its own job: wait for this one too.
      const prefix = await eventually(
        () => users(reader, `jos ${tag}`),
        (r) => names(r.body).includes(jose.username),
      );
      expect(names(prefix.body), "a prefix").to.include(jose.username);
      const exact = await eventually(
        () => users(reader, mariana.username),
        (r) => names(r.body).includes(near.username),
      );
      expect(names(exact.body)[0], "the exact username ranks first").to.equal(mariana.username);
      expect(names(exact.body)).to.include(near.username);
    });

    it("ranks people the reader follows above others alike, and never shows a block either way", async () => {
      const tag = Math.random().toString(36).slice(2, 7);
      const [a, b, c] = [
        await signup(t.url, `kim_${tag}_a`),
        await signup(t.url, `kim_${tag}_b`),
        await signup(t.url, `kim_${tag}_c`),
      ];
      const reader = await signup(t.url);
      await api(t.url, "POST", `/api/users/${c.username}/follow`, { token: reader.token });
      const found = await eventually(
        () => users(reader, `kim_${tag}`),
        (r) => r.body.items.length === 3,
      );
      expect(names(found.body)[0], "the followed one first").to.equal(c.username);

      await api(t.url, "POST", `/api/users/${reader.username}/block`, { token: a.token });
      await api(t.url, "POST", `/api/users/${b.username}/block`, { token: reader.token });
      const after = await users(reader, `kim_${tag}`);
      expect(names(after.body)).to.deep.equal([c.username]);
      expect(
        names((await users(a, `kim_${tag}`)).body),
        "the blocker cannot find the blocked",
      ).to.not.include(reader.username);
    });

    it("ranks people with more followers above others alike, as follows come and go", async () => {
      const tag = Math.random().toString(36).slice(2, 7);
      const [quiet, popular] = [await signup(t.url, `lee_${tag}_q`), await signup(t.url, `lee_${tag}_p`)];
      const fans = [await signup(t.url), await signup(t.url), await signup(t.url)];
      for (const fan of fans) {
        await api(t.url, "POST", `/api/users/${popular.username}/follow`, { token: fan.token });
      }
      const reader = await signup(t.url);
      const ranked = await eventually(
        () => users(reader, `lee_${tag}`),
        (r) => names(r.body)[0] === popular.username && r.body.items.length === 2,
      );
      expect(names(ranked.body)).to.deep.equal([popular.username, quiet.username]);
    });

    it("finds a profile by its new name after an edit", async () => {
      const who = await signup(t.url);
      const reader = await signup(t.url);
      const name = `Zanzibar ${Math.random().toString(36).slice(2, 8)}`;
      await rename(who, name);
      const found = await eventually(
        () => users(reader, name),
        (r) => names(r.body).includes(who.username),
      );
      expect(names(found.body)).to.include(who.username);
    });
  });

  describe("posts", () => {
    it("finds captions, keeps private posts to approved followers and blocks out, and forgets deleted posts", async () => {
      const word = `quokka${Math.random().toString(36).slice(2, 7)}`;
      const [open, closed, blocker, reader, follower] = [
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
      ];
      await api(t.url, "PATCH", "/api/me", { token: closed.token, body: { isPrivate: true } });
      await api(t.url, "POST", `/api/users/${closed.username}/follow`, { token: follower.token });
      await api(t.url, "POST", `/api/follow-requests/${follower.username}/approve`, { token: closed.token });
      const [p1, p2, p3] = [
        await createPost(t.url, open, `a ${word} at the beach`),
        await createPost(t.url, closed, `my private ${word}`),
        await createPost(t.url, blocker, `another ${word}`),
      ];
      await api(t.url, "POST", `/api/users/${reader.username}/block`, { token: blocker.token });

      const seen = await eventually(
        () => posts(follower, word),
        (r) => r.body.items.length === 3,
      );
      expect(ids(seen.body)).to.have.members([p1.id, p2.id, p3.id]);
      const readerSees = await posts(reader, word);
      expect(ids(readerSees.body), "no private post, nothing across a block").to.deep.equal([p1.id]);
      expect(readerSees.body.items[0]?.author.username).to.equal(open.username);

      expect((await api(t.url, "DELETE", `/api/posts/${p1.id}`, { token: open.token })).status).to.equal(204);
      const gone = await eventually(
        () => posts(follower, word),
        (r) => r.body.items.length === 2,
      );
      expect(ids(gone.body)).to.have.members([p2.id, p3.id]);
    });

    it("hides an account's posts from search when it goes private, from everyone but its followers", async () => {
      const word = `wombat${Math.random().toString(36).slice(2, 7)}`;
      const [author, reader] = [await signup(t.url), await signup(t.url)];
      const post = await createPost(t.url, author, `the ${word}`);
      await eventually(
        () => posts(reader, word),
        (r) => r.body.items.length === 1,
      );
      await api(t.url, "PATCH", "/api/me", { token: author.token, body: { isPrivate: true } });
      const hidden = await eventually(
        () => posts(reader, word),
        (r) => r.body.items.length === 0,
      );
      expect(ids(hidden.body)).to.deep.equal([]);
      expect(ids((await posts(author, word)).body), "the author still finds it").to.deep.equal([post.id]);
    });

    it("pages 25 matches 10 at a time without repeats or gaps, newest first with order=recent", async () => {
      const word = `numbat${Math.random().toString(36).slice(2, 7)}`;
      const [author, reader] = [await signup(t.url), await signup(t.url)];
      const made: string[] = [];
      for (let i = 0; i < 25; i++) made.push((await createPost(t.url, author, `${word} number ${i}`)).id);
      await eventually(
        () => posts(reader, word, "&limit=100"),
        (r) => r.body.items.length === 25,
      );
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<typeof posts>> = await posts(
          reader,
          word,
          `&order=recent&limit=10${cursor === null ? "" : `&cursor=${cursor}`}`,
        );
        expect(page.status).to.equal(200);
        seen.push(...ids(page.body));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor !== null && pages < 10);
      expect(pages).to.equal(3);
      expect(seen, "newest first, each once").to.deep.equal([...made].reverse());
    });
  });

  describe("tags", () => {
    it("finds a tag by a word of its CamelCase spelling, with its post count, which a deletion lowers", async () => {
      const tag = `SummerVibes${Math.random().toString(36).slice(2, 6).replace(/[0-9]/g, "x")}`;
      const [author, reader] = [await signup(t.url), await signup(t.url)];
      const first = await createPost(t.url, author, `sun #${tag}`);
      await createPost(t.url, author, `more sun #${tag.toLowerCase()}`);
      const lower = tag.toLowerCase();
      const found = await eventually(
        () => tags(reader, lower),
        (r) => r.body.items.some((i) => i.tag === lower && i.postCount === 2),
      );
      expect(found.body.items.find((i) => i.tag === lower)?.postCount).to.equal(2);
      const byWord = await tags(reader, `vibes${lower.slice("summervibes".length)}`);
      expect(
        byWord.body.items.map((i) => i.tag),
        "a word of the spelling",
      ).to.include(lower);

      await api(t.url, "DELETE", `/api/posts/${first.id}`, { token: author.token });
      const fewer = await eventually(
        () => tags(reader, lower),
        (r) => r.body.items.some((i) => i.tag === lower && i.postCount === 1),
      );
      expect(fewer.body.items.find((i) => i.tag === lower)?.postCount).to.equal(1);
    });
  });

  describe("bad input", () => {
    it("answers 400 with the envelope for a missing, empty or long q, an unknown type, or a foreign cursor", async () => {
      const reader = await signup(t.url);
      for (const query of [
        "",
        "?q=",
        "?q=%20%20",
        `?q=${"a".repeat(101)}`,
        "?q=x&type=people",
        "?q=x&cursor=abc",
        "?q=x&cursor=5000",
        "?q=x&order=best",
        "?q=x&limit=0",
        "?q=a%00b",
        "?q=x&extra=1",
      ]) {
        const res = await api<ErrorBody>(t.url, "GET", `/api/search${query}`, { token: reader.token });
        expect(res.status, query).to.equal(400);
        expect(res.body.error.code, query).to.be.a("string");
      }
    });

    it("takes every character an engine treats as syntax as plain text", async () => {
      const reader = await signup(t.url);
      const hostile = SYNTAX_CHARACTERS;
      for (const type of ["users", "tags", "posts"]) {
        for (const q of [...hostile, hostile.join(""), "a* OR b~2", "name:admin", "\ud83d\ude00"]) {
          const res = await search(reader, q, type);
          expect(res.status, `${type} ${q}`).to.equal(200);
          expect(res.body.items, `${type} ${q}`).to.be.an("array");
        }
      }
      const unauthenticated = await api(t.url, "GET", "/api/search?q=x");
      expect(unauthenticated.status).to.equal(401);
    });
  });

  describe("reindex", () => {
    it("rebuilds into a new generation while posts keep arriving, resumes one cut short, and swaps it in", async () => {
      const search = t.node.app.search;
      const store = t.node.app.store;
      if (search === undefined || store === undefined) throw new Error("the test node hosts search");
      const word = `kiwi${Math.random().toString(36).slice(2, 7)}`;
      const author = await signup(t.url);
      const reader = await signup(t.url);
      const made = [
        await createPost(t.url, author, `a ${word}`),
        await createPost(t.url, author, `two ${word}`),
      ];
      await eventually(
        () => posts(reader, word),
        (r) => r.body.items.length === 2,
      );
      const before = await search.index.generations.live();

      // A reindex cut short after its first page of accounts: its progress is stored, its generation not live.
      const sources = new StoreSearchSources({ store, tagPostCount: () => Promise.resolve(1) });
      const cut = new SearchReindexer({
        store,
        index: search.index,
        sources,
        ids: t.node.app.ids,
        progress: () => {
          throw new Error("cut short");
        },
      });
      expect(await rejectionOf(cut.run())).to.be.instanceOf(Error);
      const status = await search.reindexer.status();
      expect(status?.done, "progress stored").to.be.greaterThan(0);
      expect(await search.index.generations.live(), "queries still read the old generation").to.equal(before);
      const building = status?.generation ?? "";
      expect(await search.index.generations.list()).to.include(building);

      // Meanwhile a post arrives: the indexer writes it to both generations.
      const late = await createPost(t.url, author, `late ${word}`);
      await eventually(
        () => posts(reader, word),
        (r) => r.body.items.length === 3,
      );

      const done = await search.reindexer.run();
      expect(done.generation, "the one cut short was resumed").to.equal(building);
      expect(await search.index.generations.live()).to.equal(building);
      expect(await search.index.generations.list()).to.not.include(before);
      const after = await posts(reader, word);
      expect(ids(after.body)).to.have.members([...made.map((p) => p.id), late.id]);
      expect(await search.index.count("user"), "the accounts were reindexed").to.be.at.least(2);
    });
  });

  describe("durability", () => {
    it("rebuilds an index lost from DATA_DIR from the store at start-up", async function () {
      // The embedded index's own folder; on OpenSearch (`npm run test:search`) nothing is lost with DATA_DIR.
      if (process.env.MOSAIC_TEST_SEARCH === "opensearch") this.skip();
      const name = uniqueName("phoenix");
      const who = await signup(t.url, name);
      const reader = await signup(t.url);
      await eventually(
        () => users(reader, name),
        (r) => names(r.body).includes(name),
      );
      await t.node.stop();
      await rm(path.join(t.dataDir, "search"), { recursive: true, force: true });
      const config = loadConfig({
        PORT: "0",
        DATA_DIR: t.dataDir,
        RATE_LIMITS: "off",
        LOG_LEVEL: "error",
        CHECK_RESULTS: "on",
        ...(process.env.MOSAIC_TEST_STORE === "cassandra" && cassandraNodeEnv()),
      });
      const node = await createNode(config);
      await node.start();
      const url = `http://127.0.0.1:${node.httpPort()}`;
      const dataDir = t.dataDir;
      t = {
        node,
        url,
        dataDir,
        async stop() {
          await node.stop();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
      const again = await eventually(
        () => api<Page<UserView>>(url, "GET", `/api/search?q=${name}&type=users`, { token: reader.token }),
        (r) => names(r.body).includes(who.username),
        20_000,
      );
      expect(names(again.body)).to.include(who.username);
    });
  });
});
