/**
 * The behaviour every SearchIndex adapter must show: the rules of the doc comments of lib/search/search-index.ts,
 * each with a test that an adapter breaking it fails. The embedded adapter runs it in memory and on a temp
 * folder, in process (test/unit/search/embedded.test.ts) and on its own thread (threaded.test.ts), the OpenSearch
 * adapter against a real cluster (test/infra/search-opensearch.test.ts).
 *
 * It asks nothing of an adapter's internals, and it runs on an index that may already hold documents of other
 * tests (a cluster reused between runs): every test writes its own random words and ids, looks only for its own
 * documents, and counts by difference. `make` is called before each test and `teardown` after it.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { SearchIndexClosedError, UnknownGenerationError } from "../../../lib/search/errors";
import type {
  IndexOp,
  PostDocument,
  PostQuery,
  SearchHits,
  SearchIndex,
  SearchType,
  TagDocument,
  TagHits,
  TagQuery,
  UserDocument,
  UserQuery,
} from "../../../lib/search/search-index";
import { MAX_SEARCH_WINDOW } from "../../../lib/search/search-index";
import { rejectionOf } from "../../support/rejections";

export interface SearchIndexContractSetup {
  /** An open index. It may hold documents of earlier tests, never any with this test's words or ids. */
  index: SearchIndex;
  /**
   * Opens a new index on the same storage, as a restart would (the suite has closed `index` first, and closes
   * what this answers itself). Absent when nothing outlives the index (the embedded adapter in memory).
   */
  reopen?: () => Promise<SearchIndex>;
  /** Releases what `make` made; `index` may be closed already. */
  teardown(): Promise<void>;
}

// ---- words, ids and versions no other test (nor another run on the same cluster) has ----

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

/** `length` random lower-case ASCII letters: a word that matches nothing else in the index. */
export function randomWord(length = 10): string {
  const bytes = randomBytes(length);
  let word = "";
  for (const byte of bytes) word += LETTERS[byte % LETTERS.length];
  return word;
}

/** `word` with the letters at `positions` replaced by other letters: as many substitutions (edits). */
export function misspelled(word: string, positions: readonly number[]): string {
  const letters = [...word];
  for (const position of positions) {
    const letter = letters[position]!;
    letters[position] = LETTERS[(LETTERS.indexOf(letter) + 7) % LETTERS.length]!;
  }
  return letters.join("");
}

let counter = 0n;
const epochMicros = BigInt(Date.now()) * 1000n;

/** A Snowflake-like decimal id, larger than any made before in this process and unlike any of another run. */
export function newId(): string {
  counter += 1n;
  return String(epochMicros * 1000n + counter);
}

/** An increasing version (a decimal below 2^63), as the outbox's job ids are. */
export function newVersion(): string {
  return newId();
}

// ---- documents and ops ----

export function userDoc(fields: Partial<UserDocument> & { username: string }): UserDocument {
  return { id: newId(), displayName: "", isPrivate: false, followerCount: 0, ...fields };
}

export function postDoc(fields: Partial<PostDocument> & { caption: string }): PostDocument {
  return {
    id: newId(),
    authorId: newId(),
    hashtags: [],
    authorPrivate: false,
    createdAt: 1_750_000_000_000,
    ...fields,
  };
}

export function tagDoc(fields: Partial<TagDocument> & { tag: string }): TagDocument {
  return { words: [], postCount: 1, ...fields };
}

export function putUser(doc: UserDocument, version = newVersion()): IndexOp {
  return { type: "user", op: "put", doc, version };
}

export function putPost(doc: PostDocument, version = newVersion()): IndexOp {
  return { type: "post", op: "put", doc, version };
}

export function putTag(doc: TagDocument, version = newVersion()): IndexOp {
  return { type: "tag", op: "put", doc, version };
}

export function deleteDoc(type: SearchType, id: string, version = newVersion()): IndexOp {
  return { type, op: "delete", id, version };
}

// ---- queries ----

export function usersQuery(text: string, more: Partial<UserQuery> = {}): UserQuery {
  return { text, limit: 100, offset: 0, excludeIds: [], followedIds: [], ...more };
}

export function postsQuery(text: string, more: Partial<PostQuery> = {}): PostQuery {
  return {
    text,
    limit: 100,
    offset: 0,
    order: "relevance",
    excludeAuthorIds: [],
    privateAuthorIds: [],
    ...more,
  };
}

export function tagsQuery(text: string, more: Partial<TagQuery> = {}): TagQuery {
  return { text, limit: 100, offset: 0, ...more };
}

/** Follows nextOffset from `offset` 0 to the end, checking each page's shape; answers every id in order. */
export async function allPages(
  limit: number,
  page: (offset: number) => Promise<SearchHits>,
): Promise<string[]> {
  const ids: string[] = [];
  let offset: number | undefined = 0;
  for (let pages = 0; offset !== undefined; pages++) {
    expect(pages, "pages").to.be.below(MAX_SEARCH_WINDOW);
    const hits: SearchHits = await page(offset);
    expect(hits.ids.length).to.be.at.most(limit);
    if (hits.nextOffset !== undefined) {
      expect(hits.ids, "a page before the last is full").to.have.length(limit);
      expect(hits.nextOffset).to.equal(offset + limit);
    }
    ids.push(...hits.ids);
    offset = hits.nextOffset;
  }
  return ids;
}

/** The characters a query parser would read as syntax (the list of issue #12), each of which must be plain data. */
export const SYNTAX_CHARACTERS = [
  '"',
  "*",
  "?",
  "~",
  ":",
  "\\",
  "/",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  "^",
  "!",
  "-",
  "+",
  "&&",
  "||",
] as const;

/**
 * The contract for an index kept in this process's files (or in memory only): run in memory, then on a temp folder
 * with a snapshot every few ops, so that it also runs across snapshots, log resets and restarts.
 */
export function describeFolderIndexContract(
  name: string,
  make: (options: { dir: string | undefined; snapshotEveryOps?: number }) => SearchIndex,
): void {
  describeSearchIndexContract(`${name} in memory`, async () => {
    const index = make({ dir: undefined });
    await index.open();
    return { index, teardown: () => index.close() };
  });

  describeSearchIndexContract(`${name} on disk`, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mosaic-search-"));
    const opened = async () => {
      const index = make({ dir, snapshotEveryOps: 40 });
      await index.open();
      return index;
    };
    const index = await opened();
    return {
      index,
      reopen: opened,
      async teardown() {
        await index.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
}

export function describeSearchIndexContract(
  name: string,
  make: () => Promise<SearchIndexContractSetup>,
): void {
  describe(`SearchIndex contract: ${name}`, function () {
    this.timeout(60_000);
    let setup: SearchIndexContractSetup | undefined;
    let index: SearchIndex;

    beforeEach(async function () {
      setup = await make();
      index = setup.index;
    });

    afterEach(async function () {
      if (setup !== undefined && index !== setup.index) await index.close();
      await setup?.teardown();
      setup = undefined;
    });

    const userIds = async (text: string, more?: Partial<UserQuery>) =>
      (await index.searchUsers(usersQuery(text, more))).ids;
    const postIds = async (text: string, more?: Partial<PostQuery>) =>
      (await index.searchPosts(postsQuery(text, more))).ids;
    const tagNames = async (text: string, more?: Partial<TagQuery>) =>
      (await index.searchTags(tagsQuery(text, more))).items.map((item) => item.tag);

    describe("text matching", function () {
      it('folds case and diacritics of documents and queries ("nunez" finds "Ñúñez")', async function () {
        const marker = randomWord();
        const nunez = postDoc({ caption: `Ñúñez ${marker}` });
        const perez = postDoc({ caption: `Perez ${marker}` });
        const other = randomWord();
        const plain = postDoc({ caption: `nunez ${other}` });
        const user = userDoc({ username: marker, displayName: "Ana Ñúñez" });
        const perezUser = userDoc({ username: `${marker}b`, displayName: "Ana Perez" });
        await index.apply([
          putPost(nunez),
          putPost(perez),
          putPost(plain),
          putUser(user),
          putUser(perezUser),
        ]);

        expect(await postIds(`nunez ${marker}`)).to.deep.equal([nunez.id]);
        expect(await postIds(`NUÑEZ ${marker.toUpperCase()}`)).to.deep.equal([nunez.id]);
        expect(await postIds(`ÑÚÑEZ ${other}`)).to.deep.equal([plain.id]);
        expect(await userIds(`nunez ${marker}`)).to.deep.equal([user.id]);
        expect(await userIds(`ANA ÑUÑEZ ${marker}`)).to.deep.equal([user.id]);
      });

      it('finds a folded word by a prefix ("jos" finds "José")', async function () {
        const marker = randomWord();
        const post = postDoc({ caption: `José ${marker}` });
        const user = userDoc({ username: `${marker}`, displayName: "José Ramírez" });
        await index.apply([putPost(post), putUser(user)]);
        expect(await postIds(`jos ${marker}`)).to.deep.equal([post.id]);
        expect(await userIds(`jos ramir ${marker}`)).to.deep.equal([user.id]);
        expect(await userIds(`JOSE RAMIREZ ${marker.slice(0, 6)}`)).to.deep.equal([user.id]);
      });

      it("ranks a match exact after folding above a match within an edit", async function () {
        const marker = randomWord();
        const jose = postDoc({ caption: `José ${marker}` });
        const josh = postDoc({ caption: `Josh ${marker}` });
        await index.apply([putPost(josh), putPost(jose)]);
        expect(await postIds(`jose ${marker}`)).to.deep.equal([jose.id, josh.id]);
        expect(await postIds(`JOSÉ ${marker}`)).to.deep.equal([jose.id, josh.id]);
      });

      it("matches every word of the text as a prefix of a word of the document", async function () {
        const marker = randomWord();
        const post = postDoc({ caption: `Photography by the sea ${marker}` });
        const tag = tagDoc({ tag: `${marker}sunset` });
        const user = userDoc({ username: `${marker}_studio`, displayName: "Sea Photography" });
        await index.apply([putPost(post), putTag(tag), putUser(user)]);
        expect(await postIds(`phot se ${marker.slice(0, 6)}`)).to.deep.equal([post.id]);
        expect(await tagNames(marker.slice(0, 5))).to.include(tag.tag);
        expect(await userIds(`${marker.slice(0, 5)} phot`)).to.deep.equal([user.id]);
      });

      it("answers only documents that match every word of the text", async function () {
        const marker = randomWord();
        const post = postDoc({ caption: `alpha ${marker}` });
        const user = userDoc({ username: marker, displayName: "Alpha" });
        const tag = tagDoc({ tag: marker, words: ["alpha"] });
        await index.apply([putPost(post), putUser(user), putTag(tag)]);
        const absent = randomWord();
        expect(await postIds(`${marker} ${absent}`)).to.deep.equal([]);
        expect(await userIds(`${marker} ${absent}`)).to.deep.equal([]);
        expect(await tagNames(`${marker} ${absent}`)).to.deep.equal([]);
        expect(await postIds(`alpha ${marker}`)).to.deep.equal([post.id]);
      });

      it('finds a word within its edit distance ("marianna" finds "mariana")', async function () {
        const marker = randomWord();
        const post = postDoc({ caption: `Mariana ${marker}` });
        const user = userDoc({ username: `${marker}`, displayName: "Mariana Costa" });
        await index.apply([putPost(post), putUser(user)]);
        expect(await postIds(`marianna ${marker}`)).to.deep.equal([post.id]);
        expect(await userIds(`marianna costa ${marker}`)).to.deep.equal([user.id]);
      });

      it("finds a username with one wrong letter", async function () {
        const long = userDoc({ username: randomWord(9) });
        const short = userDoc({ username: randomWord(5) });
        await index.apply([putUser(long), putUser(short)]);
        expect(await userIds(misspelled(long.username, [4]))).to.include(long.id);
        expect(await userIds(misspelled(long.username, [0]))).to.include(long.id);
        expect(await userIds(misspelled(short.username, [2]))).to.include(short.id);
      });

      it("allows no edit under 4 letters, 1 from 4 to 7, 2 from 8", async function () {
        const cases = [
          { length: 3, within: [], beyond: [1] },
          { length: 4, within: [1], beyond: [1, 2] },
          { length: 7, within: [3], beyond: [2, 4] },
          { length: 8, within: [2, 5], beyond: [1, 3, 5] },
          { length: 12, within: [3, 8], beyond: [2, 5, 9] },
        ];
        const posts = cases.map((test) => ({ ...test, post: postDoc({ caption: randomWord(test.length) }) }));
        await index.apply(posts.map(({ post }) => putPost(post)));
        for (const { length, within, beyond, post } of posts) {
          if (within.length > 0) {
            expect(
              await postIds(misspelled(post.caption, within)),
              `${length} letters, ${within.length} edits`,
            ).to.include(post.id);
          }
          expect(
            await postIds(misspelled(post.caption, beyond)),
            `${length} letters, ${beyond.length} edits`,
          ).to.not.include(post.id);
        }
      });

      it('matches the words of the text joined ("jo jo" finds "jojo")', async function () {
        const [a, b] = [randomWord(5), randomWord(5)];
        const user = userDoc({ username: `jojo${a}` });
        const joinedUser = userDoc({ username: `${a}${b}` });
        const post = postDoc({ caption: `dancing ${a}${b} tonight` });
        const tag = tagDoc({ tag: `${a}${b}` });
        await index.apply([putUser(user), putUser(joinedUser), putPost(post), putTag(tag)]);
        expect(await userIds(`jo jo ${a}`)).to.include(user.id);
        // "b" alone matches no word of these documents: only the words joined do.
        expect(await userIds(`${a} ${b}`)).to.deep.equal([joinedUser.id]);
        expect(await postIds(`${a} ${b}`)).to.deep.equal([post.id]);
        expect(await tagNames(`${a} ${b}`)).to.deep.equal([tag.tag]);
      });

      it("reads every syntax character, control character and lone surrogate as data, never as an error", async function () {
        const marker = randomWord();
        const user = userDoc({ username: marker, displayName: "Plain Name" });
        const post = postDoc({ caption: `plain caption ${marker}` });
        const tag = tagDoc({ tag: marker });
        await index.apply([putUser(user), putPost(post), putTag(tag)]);

        for (const character of SYNTAX_CHARACTERS) {
          const text = `${character}${marker}${character}`;
          expect(await userIds(text), text).to.include(user.id);
          expect(await postIds(text), text).to.include(post.id);
          expect(await tagNames(text), text).to.include(tag.tag);
        }
        const wrapped = [
          `\u0000${marker}\u0007`,
          `\u0001\u001f${marker}\u007f`,
          `\ud800${marker}\udfff`,
          `${marker}\ud83d`,
          `"${marker}`,
          `${marker}~`,
          `(${marker}`,
          `${marker} &&`,
          `|| ${marker} ||`,
          `${marker}\\`,
        ];
        for (const text of wrapped) {
          expect(await postIds(text), JSON.stringify(text)).to.include(post.id);
        }

        const hostile = [
          "",
          " ",
          "\t\n",
          SYNTAX_CHARACTERS.join(""),
          SYNTAX_CHARACTERS.join(" "),
          "*".repeat(100),
          "a".repeat(100),
          "a ".repeat(50),
          "ab cd ".repeat(16) + "ab c",
          `${"x".repeat(99)}*`,
          "\u0000",
          "\u0000".repeat(100),
          "\ud800",
          "\udc00\ud800",
          "\ud800".repeat(100),
          "🙂🙂🙂",
          'title:x AND (y OR z~) [1 TO 5] {a TO b} /re.*gex/ "phrase" x^2 !y -z +w',
          '{"query":{"match_all":{}}}',
          "<script>alert(1)</script>",
          "%00%27%22",
          "' OR 1=1 --",
          "\u202e\u200b\ufeff",
          "١٢٣ ٤٥٦",
          "東京タワー 夜景",
        ];
        for (const text of hostile) {
          const label = JSON.stringify(text);
          const users = await index.searchUsers(usersQuery(text));
          expect(users.ids, label).to.be.an("array");
          const posts = await index.searchPosts(postsQuery(text));
          expect(posts.ids, label).to.be.an("array");
          const recent = await index.searchPosts(postsQuery(text, { order: "recent" }));
          expect(recent.ids, label).to.be.an("array");
          const tags = await index.searchTags(tagsQuery(text));
          expect(tags.items, label).to.be.an("array");
        }
        // A text with no word at all matches nothing rather than everything.
        for (const text of ["", "   ", SYNTAX_CHARACTERS.join(" "), "\u0000\u0007", "*"]) {
          expect(await postIds(text), JSON.stringify(text)).to.deep.equal([]);
          expect(await userIds(text), JSON.stringify(text)).to.deep.equal([]);
          expect(await tagNames(text), JSON.stringify(text)).to.deep.equal([]);
        }
      });

      it("indexes documents whose text holds control characters, lone surrogates and syntax", async function () {
        const marker = randomWord();
        const post = postDoc({
          caption: `\u0000 "quoted" (${marker}) \ud800 title:x && y || z \\ /re/ \u0007 end`,
          hashtags: [`${marker}tag`],
        });
        const user = userDoc({ username: `${marker}_x.y`, displayName: `\ud83d ${marker} \u0000 *~^` });
        const tag = tagDoc({ tag: `${marker}ü`, words: ["\ud800", "(", marker] });
        await index.apply([putPost(post), putUser(user), putTag(tag)]);
        expect(await postIds(marker)).to.deep.equal([post.id]);
        expect(await postIds(`${marker}tag`)).to.deep.equal([post.id]);
        expect(await userIds(marker)).to.deep.equal([user.id]);
        expect(await tagNames(marker)).to.deep.equal([tag.tag]);
      });
    });

    describe("ranking", function () {
      it("ranks the exact username first, above more followed and more popular matches", async function () {
        const marker = randomWord(8);
        const exact = userDoc({ username: marker, displayName: "Somebody Else", followerCount: 3 });
        const official = userDoc({
          username: `${marker}_official`,
          displayName: marker,
          followerCount: 5_000_000,
        });
        const longer = userDoc({ username: `${marker}x`, displayName: marker, followerCount: 2_000_000 });
        await index.apply([putUser(official), putUser(longer), putUser(exact)]);
        const followedIds = [official.id, longer.id];
        expect((await userIds(marker, { followedIds }))[0]).to.equal(exact.id);
        expect((await userIds(marker.toUpperCase(), { followedIds }))[0]).to.equal(exact.id);
        expect(await userIds(marker)).to.have.members([exact.id, official.id, longer.id]);
      });

      it("ranks followed accounts above others among similar matches", async function () {
        const marker = randomWord(8);
        const first = userDoc({
          username: `${marker}${randomWord(4)}`,
          displayName: "Alex Smith",
          followerCount: 500,
        });
        const second = userDoc({
          username: `${marker}${randomWord(4)}`,
          displayName: "Alex Smith",
          followerCount: 500,
        });
        await index.apply([putUser(first), putUser(second)]);
        expect(await userIds(marker, { followedIds: [second.id] })).to.deep.equal([second.id, first.id]);
        expect(await userIds(marker, { followedIds: [first.id] })).to.deep.equal([first.id, second.id]);
        expect(await userIds(`alex ${marker}`, { followedIds: [second.id] })).to.deep.equal([
          second.id,
          first.id,
        ]);
      });

      it("ranks accounts with more followers above others among similar matches", async function () {
        const marker = randomWord(8);
        const [some, few, many] = [1_000, 10, 1_000_000].map((followerCount) =>
          userDoc({ username: `${marker}${randomWord(4)}`, displayName: "Kim Lee", followerCount }),
        ) as [UserDocument, UserDocument, UserDocument];
        await index.apply([putUser(some), putUser(few), putUser(many)]);
        expect(await userIds(marker)).to.deep.equal([many.id, some.id, few.id]);
        expect(await userIds(`kim ${marker}`)).to.deep.equal([many.id, some.id, few.id]);
      });

      it("ranks an exact match above a prefix, and a prefix above a match within an edit", async function () {
        const marker = randomWord();
        const word = randomWord(6);
        const exact = postDoc({ caption: `${marker} ${word}` });
        const prefix = postDoc({ caption: `${marker} ${word}ab` });
        const fuzzy = postDoc({ caption: `${marker} ${misspelled(word, [3])}` });
        await index.apply([putPost(fuzzy), putPost(prefix), putPost(exact)]);
        expect(await postIds(`${marker} ${word}`)).to.deep.equal([exact.id, prefix.id, fuzzy.id]);

        const tagExact = tagDoc({ tag: word, postCount: 1 });
        const tagPrefix = tagDoc({ tag: `${word}vibes`, postCount: 1_000 });
        const tagFuzzy = tagDoc({ tag: misspelled(word, [2]), postCount: 100_000 });
        await index.apply([putTag(tagFuzzy), putTag(tagPrefix), putTag(tagExact)]);
        expect(await tagNames(word)).to.deep.equal([tagExact.tag, tagPrefix.tag, tagFuzzy.tag]);
      });
    });

    describe("visibility inside the query", function () {
      it("never answers excluded accounts, and still fills the page from the others", async function () {
        const marker = randomWord(8);
        const excluded = Array.from({ length: 7 }, () =>
          userDoc({ username: `${marker}${randomWord(3)}`, displayName: marker, followerCount: 1_000_000 }),
        );
        const visible = Array.from({ length: 3 }, (_, i) =>
          userDoc({ username: `${marker}${randomWord(3)}`, followerCount: 0, isPrivate: i === 0 }),
        );
        await index.apply([...excluded, ...visible].map((user) => putUser(user)));
        const excludeIds = excluded.map((user) => user.id);
        const page = await index.searchUsers(usersQuery(marker, { excludeIds, limit: 3 }));
        expect(page.ids).to.have.members(visible.map((user) => user.id));
        expect(page.nextOffset).to.equal(undefined);
        const paged = await allPages(2, (offset) =>
          index.searchUsers(usersQuery(marker, { excludeIds, limit: 2, offset })),
        );
        expect(paged).to.have.members(visible.map((user) => user.id));
        // Private accounts are findable: only their posts are not.
        expect(await userIds(marker)).to.include(visible[0]!.id);
      });

      it("never answers posts of excluded or unapproved private authors, and still fills the page", async function () {
        const marker = randomWord();
        const blockedAuthor = newId();
        const privateAuthor = newId();
        const approvedPrivate = newId();
        const blockedPrivate = newId();
        const recent = 1_760_000_000_000;
        // The hidden posts match better and are newer: a filter applied after the query would return none.
        const hidden = [
          ...Array.from({ length: 10 }, (_, i) =>
            postDoc({ caption: `${marker} ${marker}`, authorId: blockedAuthor, createdAt: recent + i }),
          ),
          ...Array.from({ length: 12 }, (_, i) =>
            postDoc({
              caption: `${marker} ${marker}`,
              authorId: privateAuthor,
              authorPrivate: true,
              createdAt: recent + 100 + i,
            }),
          ),
          ...Array.from({ length: 3 }, (_, i) =>
            postDoc({
              caption: `${marker} ${marker}`,
              authorId: blockedPrivate,
              authorPrivate: true,
              createdAt: recent + 200 + i,
            }),
          ),
        ];
        const visible = [
          ...Array.from({ length: 3 }, (_, i) =>
            postDoc({
              caption: `a long caption about ${marker} among other words`,
              createdAt: recent - 1000 + i,
            }),
          ),
          ...Array.from({ length: 2 }, (_, i) =>
            postDoc({
              caption: `a long caption about ${marker} among other words`,
              authorId: approvedPrivate,
              authorPrivate: true,
              createdAt: recent - 2000 + i,
            }),
          ),
        ];
        expect(hidden.length + visible.length).to.equal(30);
        await index.apply([...hidden, ...visible].map((post) => putPost(post)));
        const filters = {
          excludeAuthorIds: [blockedAuthor, blockedPrivate],
          privateAuthorIds: [approvedPrivate, blockedPrivate],
        };
        const visibleIds = visible.map((post) => post.id);
        for (const order of ["relevance", "recent"] as const) {
          const page = await index.searchPosts(postsQuery(marker, { ...filters, order, limit: 5 }));
          expect(page.ids, order).to.have.members(visibleIds);
          const paged = await allPages(2, (offset) =>
            index.searchPosts(postsQuery(marker, { ...filters, order, limit: 2, offset })),
          );
          expect(paged, order).to.have.members(visibleIds);
        }
        // The private author's own view (it is in privateAuthorIds) holds its posts.
        const own = await postIds(marker, { privateAuthorIds: [privateAuthor] });
        expect(own).to.include.members(
          hidden.filter((post) => post.authorId === privateAuthor).map((post) => post.id),
        );
        for (const post of hidden.filter((post) => post.authorId === blockedPrivate)) {
          expect(own).to.not.include(post.id);
        }
      });

      it("hides the posts of an author who goes private, from all but the approved", async function () {
        const marker = randomWord();
        const author = newId();
        const post = postDoc({ caption: marker, authorId: author });
        await index.apply([putPost(post)]);
        expect(await postIds(marker)).to.deep.equal([post.id]);
        await index.apply([putPost({ ...post, authorPrivate: true })]);
        expect(await postIds(marker)).to.deep.equal([]);
        expect(await postIds(marker, { privateAuthorIds: [author] })).to.deep.equal([post.id]);
        expect(
          await postIds(marker, { privateAuthorIds: [author], excludeAuthorIds: [author] }),
        ).to.deep.equal([]);
      });
    });

    describe("order", function () {
      it("order=recent answers the matches newest first, whatever their relevance", async function () {
        const marker = randomWord();
        const word = randomWord(6);
        const base = 1_755_000_000_000;
        const posts = [
          postDoc({ caption: `${marker} ${word}`, createdAt: base + 3 }),
          postDoc({ caption: `${marker} ${misspelled(word, [2])}`, createdAt: base + 50 }),
          postDoc({ caption: `${marker} ${word}xyz`, createdAt: base + 7 }),
          postDoc({ caption: `${marker} ${word} ${word}`, createdAt: base }),
          postDoc({ caption: `${marker} and ${word} too`, createdAt: base + 20 }),
        ];
        await index.apply(posts.map((post) => putPost(post)));
        const newestFirst = [...posts].sort((a, b) => b.createdAt - a.createdAt).map((post) => post.id);
        expect(await postIds(`${marker} ${word}`, { order: "recent" })).to.deep.equal(newestFirst);
        expect(await postIds(`${marker} ${word}`, { order: "relevance" })).to.not.deep.equal(newestFirst);
        const paged = await allPages(2, (offset) =>
          index.searchPosts(postsQuery(`${marker} ${word}`, { order: "recent", limit: 2, offset })),
        );
        expect(paged).to.deep.equal(newestFirst);
      });
    });

    describe("tags", function () {
      it("finds a tag by each word of its CamelCase spelling, and answers it as stored with its post count", async function () {
        const [a, b] = [randomWord(6), randomWord(6)];
        const tag = tagDoc({ tag: `${a}${b}2026`, words: [a, b, "2026"], postCount: 42 });
        await index.apply([putTag(tag)]);
        for (const text of [a, b, `${b} 2026`, `${a} ${b}`, `${b.slice(0, 4)}`, tag.tag.toUpperCase()]) {
          const hits = await index.searchTags(tagsQuery(text));
          expect(hits.items, text).to.deep.include({ tag: tag.tag, postCount: 42 });
        }
      });

      it("keeps tags with and without diacritics apart, and finds both by the folded text", async function () {
        const marker = randomWord(6);
        const accented = tagDoc({ tag: `${marker}café`, words: [marker, "café"], postCount: 3 });
        const plain = tagDoc({ tag: `${marker}cafe`, words: [marker, "cafe"], postCount: 5 });
        await index.apply([putTag(accented), putTag(plain)]);
        const hits = await index.searchTags(tagsQuery(`${marker}cafe`));
        expect(hits.items).to.have.deep.members([
          { tag: accented.tag, postCount: 3 },
          { tag: plain.tag, postCount: 5 },
        ]);
        expect(await tagNames(`${marker} CAFÉ`)).to.have.members([accented.tag, plain.tag]);
        expect(await index.count("tag")).to.be.at.least(2);
      });

      it("answers a new post count when a tag is put again", async function () {
        const marker = randomWord();
        const tag = tagDoc({ tag: marker, postCount: 1 });
        await index.apply([putTag(tag)]);
        await index.apply([putTag({ ...tag, postCount: 77 })]);
        expect((await index.searchTags(tagsQuery(marker))).items).to.deep.equal([
          { tag: marker, postCount: 77 },
        ]);
      });
    });

    describe("paging", function () {
      it("pages by offset and nextOffset with no repeat nor gap, for the three queries", async function () {
        const marker = randomWord(8);
        const word = randomWord(6);
        const posts = Array.from({ length: 25 }, (_, i) =>
          postDoc({
            caption: [`${marker} ${word}`, `${marker} ${word}s`, `${marker} ${misspelled(word, [1])}`][
              i % 3
            ]!,
            createdAt: 1_750_000_000_000 + ((i * 7) % 25),
          }),
        );
        const users = Array.from({ length: 12 }, (_, i) =>
          userDoc({ username: `${marker}${randomWord(3)}`, followerCount: i % 4 }),
        );
        const tags = Array.from({ length: 11 }, (_, i) =>
          // A letter per tag: two random suffixes alike would make one tag of two (once in a CI run).
          tagDoc({ tag: `${marker}${String.fromCharCode(97 + i)}${randomWord(2)}`, postCount: i % 3 }),
        );
        await index.apply([
          ...posts.map((post) => putPost(post)),
          ...users.map((user) => putUser(user)),
          ...tags.map((tag) => putTag(tag)),
        ]);
        for (const order of ["relevance", "recent"] as const) {
          const whole = await postIds(`${marker} ${word}`, { order });
          expect(whole, order).to.have.length(25);
          for (const limit of [1, 7, 10, 25, 100]) {
            const paged = await allPages(limit, (offset) =>
              index.searchPosts(postsQuery(`${marker} ${word}`, { order, limit, offset })),
            );
            expect(paged, `${order}, pages of ${limit}`).to.deep.equal(whole);
          }
        }
        const wholeUsers = await userIds(marker);
        expect(wholeUsers).to.have.members(users.map((user) => user.id));
        expect(
          await allPages(5, (offset) => index.searchUsers(usersQuery(marker, { limit: 5, offset }))),
        ).to.deep.equal(wholeUsers);
        const wholeTags = await tagNames(marker);
        expect(wholeTags).to.have.members(tags.map((tag) => tag.tag));
        const pagedTags: string[] = [];
        let offset: number | undefined = 0;
        while (offset !== undefined) {
          const page: TagHits = await index.searchTags(tagsQuery(marker, { limit: 4, offset }));
          pagedTags.push(...page.items.map((item) => item.tag));
          if (page.nextOffset !== undefined) expect(page.nextOffset).to.equal(offset + 4);
          offset = page.nextOffset;
        }
        expect(pagedTags).to.deep.equal(wholeTags);
        // Past the end: an empty page, and no next.
        const past = await index.searchPosts(postsQuery(`${marker} ${word}`, { offset: 25, limit: 10 }));
        expect(past).to.deep.equal({ ids: [] });
      });

      it(`answers no nextOffset past the window of ${MAX_SEARCH_WINDOW} results`, async function () {
        const marker = randomWord();
        const posts = Array.from({ length: MAX_SEARCH_WINDOW + 5 }, (_, i) =>
          postDoc({ caption: `${marker} number ${i}`, createdAt: 1_750_000_000_000 + i }),
        );
        await index.apply(posts.map((post) => putPost(post)));
        const paged = await allPages(100, (offset) =>
          index.searchPosts(postsQuery(marker, { order: "recent", limit: 100, offset })),
        );
        expect(paged).to.have.length(MAX_SEARCH_WINDOW);
        expect(new Set(paged).size).to.equal(MAX_SEARCH_WINDOW);
        const last = await index.searchPosts(postsQuery(marker, { order: "recent", limit: 50, offset: 950 }));
        expect(last.ids).to.have.length(50);
        expect(last.nextOffset).to.equal(undefined);
        const before = await index.searchPosts(
          postsQuery(marker, { order: "recent", limit: 50, offset: 900 }),
        );
        expect(before.nextOffset).to.equal(950);
      });
    });

    describe("versions", function () {
      it("never brings a deleted document back by a put of a lower or equal version", async function () {
        const marker = randomWord();
        const post = postDoc({ caption: marker });
        const user = userDoc({ username: marker });
        const tag = tagDoc({ tag: marker });
        const v1 = newVersion();
        const v2 = newVersion();
        await index.apply([putPost(post, v1), putUser(user, v1), putTag(tag, v1)]);
        await index.apply([
          deleteDoc("post", post.id, v2),
          deleteDoc("user", user.id, v2),
          deleteDoc("tag", tag.tag, v2),
        ]);
        expect(await postIds(marker)).to.deep.equal([]);
        expect(await userIds(marker)).to.deep.equal([]);
        expect(await tagNames(marker)).to.deep.equal([]);
        for (const version of [v1, v2]) {
          await index.apply([putPost(post, version), putUser(user, version), putTag(tag, version)]);
        }
        expect(await postIds(marker)).to.deep.equal([]);
        expect(await userIds(marker)).to.deep.equal([]);
        expect(await tagNames(marker)).to.deep.equal([]);
        // A newer put is a new state of the document, and applies.
        await index.apply([putPost(post)]);
        expect(await postIds(marker)).to.deep.equal([post.id]);
      });

      it("remembers the version of a deletion of a document it never held", async function () {
        const marker = randomWord();
        const post = postDoc({ caption: marker });
        const early = newVersion();
        await index.apply([deleteDoc("post", post.id)]);
        await index.apply([putPost(post, early)]);
        expect(await postIds(marker)).to.deep.equal([]);
      });

      it("never replaces a caption by an older one, and forgets the words of the replaced one", async function () {
        const [old, current, stale] = [randomWord(), randomWord(), randomWord()];
        const post = postDoc({ caption: old });
        const v1 = newVersion();
        const v2 = newVersion();
        const v3 = newVersion();
        await index.apply([putPost(post, v1)]);
        await index.apply([putPost({ ...post, caption: current }, v3)]);
        await index.apply([putPost({ ...post, caption: stale }, v2)]);
        await index.apply([putPost({ ...post, caption: stale }, v3)]);
        expect(await postIds(current)).to.deep.equal([post.id]);
        expect(await postIds(old)).to.deep.equal([]);
        expect(await postIds(stale)).to.deep.equal([]);
      });

      it("compares versions as numbers, up to 2^63 - 1", async function () {
        const [a, b, c, d] = [randomWord(), randomWord(), randomWord(), randomWord()];
        const small = postDoc({ caption: a });
        await index.apply([putPost(small, "9")]);
        await index.apply([putPost({ ...small, caption: b }, "10")]);
        await index.apply([putPost({ ...small, caption: a }, "9")]);
        expect(await postIds(b)).to.deep.equal([small.id]);

        // Past 2^53 two neighbours are one Number: they must still compare apart.
        const large = postDoc({ caption: c });
        await index.apply([putPost(large, "9223372036854775806")]);
        await index.apply([putPost({ ...large, caption: d }, "9223372036854775807")]);
        await index.apply([putPost({ ...large, caption: c }, "9223372036854775806")]);
        expect(await postIds(d)).to.deep.equal([large.id]);
        expect(await postIds(c)).to.deep.equal([]);
      });

      it("applies the ops of one batch by version, whatever their order in it", async function () {
        const [first, second] = [randomWord(), randomWord()];
        const post = postDoc({ caption: first });
        const other = postDoc({ caption: first });
        const v1 = newVersion();
        const v2 = newVersion();
        const v3 = newVersion();
        await index.apply([
          putPost({ ...post, caption: second }, v2),
          putPost(post, v1),
          deleteDoc("post", other.id, v3),
          putPost(other, v2),
        ]);
        expect(await postIds(second)).to.deep.equal([post.id]);
        expect(await postIds(first)).to.deep.equal([]);
      });

      it("is idempotent: the same ops applied twice change nothing", async function () {
        const marker = randomWord();
        const posts = Array.from({ length: 4 }, (_, i) => postDoc({ caption: `${marker} ${i}` }));
        const user = userDoc({ username: marker });
        const tag = tagDoc({ tag: marker, postCount: 4 });
        const ops = [
          ...posts.map((post) => putPost(post)),
          putUser(user),
          putTag(tag),
          deleteDoc("post", posts[0]!.id),
        ];
        const before = await Promise.all((["user", "post", "tag"] as const).map((type) => index.count(type)));
        await index.apply(ops);
        const once = {
          posts: await postIds(marker),
          users: await userIds(marker),
          tags: (await index.searchTags(tagsQuery(marker))).items,
          counts: await Promise.all((["user", "post", "tag"] as const).map((type) => index.count(type))),
        };
        await index.apply(ops);
        await index.apply(ops.slice().reverse());
        const twice = {
          posts: await postIds(marker),
          users: await userIds(marker),
          tags: (await index.searchTags(tagsQuery(marker))).items,
          counts: await Promise.all((["user", "post", "tag"] as const).map((type) => index.count(type))),
        };
        expect(twice).to.deep.equal(once);
        expect(once.posts).to.have.members(posts.slice(1).map((post) => post.id));
        expect(once.counts).to.deep.equal([before[0]! + 1, before[1]! + 3, before[2]! + 1]);
      });

      it("keeps the versions of each type apart (a user and a post may share an id)", async function () {
        const marker = randomWord();
        const id = newId();
        const version = newVersion();
        await index.apply([
          putUser(userDoc({ id, username: marker }), version),
          putPost(postDoc({ id, caption: marker }), version),
          putTag(tagDoc({ tag: id }), version),
        ]);
        expect(await userIds(marker)).to.deep.equal([id]);
        expect(await postIds(marker)).to.deep.equal([id]);
        await index.apply([deleteDoc("post", id)]);
        expect(await postIds(marker)).to.deep.equal([]);
        expect(await userIds(marker)).to.deep.equal([id]);
        expect(await tagNames(id)).to.deep.equal([id]);
      });

      it("resolves an empty batch", async function () {
        await index.apply([]);
      });
    });

    describe("count", function () {
      it("counts the documents of each type the live generation holds", async function () {
        const before = await Promise.all((["user", "post", "tag"] as const).map((type) => index.count(type)));
        const posts = Array.from({ length: 3 }, () => postDoc({ caption: randomWord() }));
        await index.apply([
          ...posts.map((post) => putPost(post)),
          putUser(userDoc({ username: randomWord() })),
          putUser(userDoc({ username: randomWord() })),
          putTag(tagDoc({ tag: randomWord() })),
        ]);
        expect(await index.count("post")).to.equal(before[1]! + 3);
        expect(await index.count("user")).to.equal(before[0]! + 2);
        expect(await index.count("tag")).to.equal(before[2]! + 1);
        await index.apply([deleteDoc("post", posts[0]!.id), deleteDoc("post", newId())]);
        expect(await index.count("post")).to.equal(before[1]! + 2);
        expect(await index.count("post", await index.generations.live())).to.equal(before[1]! + 2);
      });
    });

    describe("generations", function () {
      it("makes new, empty, distinct generations that queries do not read", async function () {
        const live = await index.generations.live();
        expect(await index.generations.list()).to.include(live);
        const first = await index.generations.create();
        const second = await index.generations.create();
        expect(new Set([live, first, second]).size).to.equal(3);
        expect(await index.generations.list()).to.include.members([live, first, second]);
        expect(await index.generations.live()).to.equal(live);
        for (const type of ["user", "post", "tag"] as const) {
          expect(await index.count(type, first), type).to.equal(0);
        }
        await index.generations.drop(first);
        await index.generations.drop(second);
      });

      it("applies to a named generation only, and promote swaps what queries read and drops the old one", async function () {
        const marker = randomWord();
        const old = await index.generations.live();
        const inOld = postDoc({ caption: `${marker} old` });
        await index.apply([putPost(inOld)]);
        const next = await index.generations.create();
        const inNext = postDoc({ caption: `${marker} next` });
        const user = userDoc({ username: marker });
        await index.apply([putPost(inNext), putUser(user)], next);
        expect(await postIds(marker)).to.deep.equal([inOld.id]);
        expect(await userIds(marker)).to.deep.equal([]);
        expect(await index.count("post", next)).to.equal(1);
        expect(await index.count("user", next)).to.equal(1);

        await index.generations.promote(next);
        expect(await index.generations.live()).to.equal(next);
        expect(await postIds(marker)).to.deep.equal([inNext.id]);
        expect(await userIds(marker)).to.deep.equal([user.id]);
        expect(await index.count("post")).to.equal(1);
        expect(await index.generations.list())
          .to.include(next)
          .and.not.include(old);
        expect(await rejectionOf(index.apply([putPost(inOld)], old))).to.be.instanceOf(
          UnknownGenerationError,
        );
        expect(await rejectionOf(index.count("post", old))).to.be.instanceOf(UnknownGenerationError);

        // Live writes without a name now go to the promoted generation.
        const later = postDoc({ caption: `${marker} later` });
        await index.apply([putPost(later)]);
        expect(await postIds(`${marker} later`)).to.deep.equal([later.id]);
      });

      it("promoting the live generation again changes nothing (a resumed reindex may ask twice)", async function () {
        const marker = randomWord();
        const next = await index.generations.create();
        const post = postDoc({ caption: marker });
        await index.apply([putPost(post)], next);
        await index.generations.promote(next);
        await index.generations.promote(next);
        expect(await index.generations.live()).to.equal(next);
        expect(await postIds(marker)).to.deep.equal([post.id]);
      });

      it("drops a generation that is not live, and refuses to drop the live one", async function () {
        const live = await index.generations.live();
        const abandoned = await index.generations.create();
        await index.apply([putPost(postDoc({ caption: randomWord() }))], abandoned);
        await index.generations.drop(abandoned);
        expect(await index.generations.list()).to.not.include(abandoned);
        expect(
          await rejectionOf(index.apply([putPost(postDoc({ caption: "x" }))], abandoned)),
        ).to.be.instanceOf(UnknownGenerationError);
        expect(await rejectionOf(index.count("post", abandoned))).to.be.instanceOf(UnknownGenerationError);
        expect(await rejectionOf(index.generations.promote(abandoned))).to.be.instanceOf(
          UnknownGenerationError,
        );
        expect(await rejectionOf(index.generations.drop(abandoned))).to.be.instanceOf(UnknownGenerationError);

        expect(await rejectionOf(index.generations.drop(live))).to.be.instanceOf(Error);
        expect(await index.generations.live()).to.equal(live);
        const marker = randomWord();
        const post = postDoc({ caption: marker });
        await index.apply([putPost(post)]);
        expect(await postIds(marker)).to.deep.equal([post.id]);
      });

      it("rejects a generation never made with UnknownGenerationError, naming it", async function () {
        const name = `mosaic-never-${randomWord(6)}`;
        const apply = await rejectionOf(index.apply([putPost(postDoc({ caption: "x" }))], name));
        expect(apply).to.be.instanceOf(UnknownGenerationError);
        expect((apply as UnknownGenerationError).generation).to.equal(name);
        expect(await rejectionOf(index.count("user", name))).to.be.instanceOf(UnknownGenerationError);
        expect(await rejectionOf(index.generations.promote(name))).to.be.instanceOf(UnknownGenerationError);
        expect(await rejectionOf(index.generations.drop(name))).to.be.instanceOf(UnknownGenerationError);
        expect(await index.generations.list()).to.not.include(name);
      });
    });

    describe("lifecycle", function () {
      it("is ready while open; after close it is not, and every operation rejects SearchIndexClosedError", async function () {
        expect(await index.isReady()).to.equal(true);
        const live = await index.generations.live();
        await index.close();
        expect(await index.isReady()).to.equal(false);
        const operations: [string, () => Promise<unknown>][] = [
          ["apply", () => index.apply([putPost(postDoc({ caption: "x" }))])],
          ["searchUsers", () => index.searchUsers(usersQuery("x"))],
          ["searchTags", () => index.searchTags(tagsQuery("x"))],
          ["searchPosts", () => index.searchPosts(postsQuery("x"))],
          ["count", () => index.count("post")],
          ["live", () => index.generations.live()],
          ["create", () => index.generations.create()],
          ["promote", () => index.generations.promote(live)],
          ["drop", () => index.generations.drop(live)],
          ["list", () => index.generations.list()],
        ];
        for (const [label, operation] of operations) {
          expect(await rejectionOf(operation()), label).to.be.instanceOf(SearchIndexClosedError);
        }
        await index.close();
      });

      it("keeps documents, deletions, versions and generations across a restart", async function () {
        if (setup?.reopen === undefined) {
          this.skip();
          return;
        }
        const marker = randomWord();
        const post = postDoc({ caption: `${marker} kept` });
        const deleted = postDoc({ caption: `${marker} deleted` });
        const user = userDoc({ username: marker });
        const tag = tagDoc({ tag: marker, postCount: 9 });
        const v1 = newVersion();
        await index.apply([putPost(post, v1), putPost(deleted, v1), putUser(user, v1), putTag(tag, v1)]);
        await index.apply([deleteDoc("post", deleted.id)]);
        await index.apply([putPost({ ...post, caption: `${marker} newer` })]);
        const live = await index.generations.live();
        const spare = await index.generations.create();
        await index.apply([putUser(user)], spare);
        const counts = await Promise.all((["user", "post", "tag"] as const).map((type) => index.count(type)));

        await index.close();
        index = await setup.reopen();

        expect(await index.isReady()).to.equal(true);
        expect(await index.generations.live()).to.equal(live);
        expect(await index.generations.list()).to.include.members([live, spare]);
        expect(await index.count("user", spare)).to.equal(1);
        expect(
          await Promise.all((["user", "post", "tag"] as const).map((type) => index.count(type))),
        ).to.deep.equal(counts);
        expect(await postIds(`${marker} newer`)).to.deep.equal([post.id]);
        expect(await postIds(`${marker} kept`)).to.deep.equal([]);
        expect(await userIds(marker)).to.deep.equal([user.id]);
        expect((await index.searchTags(tagsQuery(marker))).items).to.deep.equal([
          { tag: marker, postCount: 9 },
        ]);
        // The versions came back too: the stale put of the deleted post, and the old caption, stay ignored.
        await index.apply([putPost(deleted, v1), putPost(post, v1)]);
        expect(await postIds(`${marker} deleted`)).to.deep.equal([]);
        expect(await postIds(`${marker} kept`)).to.deep.equal([]);
        await index.generations.drop(spare);
      });
    });
  });
}
