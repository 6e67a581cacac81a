import type { AsPlainObject, MatchInfo, Options, Query, SearchResult } from "minisearch";
import { ChunkedMiniSearch, partsOfPlainObject, type IndexPart } from "./chunked-minisearch";
import type {
  IndexOp,
  PostDocument,
  PostQuery,
  SearchHits,
  SearchPaging,
  SearchType,
  TagDocument,
  TagHits,
  TagQuery,
  UserDocument,
  UserQuery,
} from "../search-index";
import { MAX_SEARCH_WINDOW } from "../search-index";
import { compareVersions, idOfOp } from "../index-ops";
import { adjacentPairs, fuzzinessOf, queryWords, wordsOf } from "./text";
import type { VersionBookJson, VersionBooks } from "./versions";
import { VersionBook } from "./versions";

/**
 * What MiniSearch holds of each document: its terms, already folded and split (one string, words separated by
 * spaces, so MiniSearch's own tokenizer only splits at spaces), and the few stored fields that ranking and
 * filtering read. Nothing else of the document is kept: callers hydrate the ids from the store.
 */
interface UserEntry {
  id: string;
  username: string | undefined;
  name: string | undefined;
  /** The username as typed, lower-cased: the exact match that ranks first. */
  handle: string;
  followerCount: number;
}

interface PostEntry {
  id: string;
  text: string | undefined;
  authorId: string;
  authorPrivate: boolean;
  createdAt: number;
}

interface TagEntry {
  id: string;
  text: string | undefined;
  postCount: number;
}

const splitTerms = (text: string): string[] => text.split(" ");
const keepTerm = (term: string): string => term;

/**
 * The text rules of the port: every word a prefix or within its edit distance. MiniSearch weighs an exact match
 * 1; prefix and fuzzy matches get these weights (times a factor that falls with the distance), a prefix always
 * more than a fuzzy match. Ranking then puts the better kind of match first on its own (`qualityOf`), so the
 * weights only order documents that match alike.
 */
const SEARCH_DEFAULTS = {
  tokenize: splitTerms,
  processTerm: keepTerm,
  prefix: true,
  fuzzy: (term: string) => fuzzinessOf(term),
  weights: { prefix: 0.5, fuzzy: 0.25 },
};

const USER_OPTIONS: Options<UserEntry> = {
  autoVacuum: false,
  fields: ["username", "name"],
  storeFields: ["username", "name", "handle", "followerCount"],
  tokenize: splitTerms,
  processTerm: keepTerm,
  searchOptions: { ...SEARCH_DEFAULTS, boost: { username: 2 } },
};

const POST_OPTIONS: Options<PostEntry> = {
  autoVacuum: false,
  fields: ["text"],
  storeFields: ["text", "authorId", "authorPrivate", "createdAt"],
  tokenize: splitTerms,
  processTerm: keepTerm,
  searchOptions: SEARCH_DEFAULTS,
};

const TAG_OPTIONS: Options<TagEntry> = {
  autoVacuum: false,
  fields: ["text"],
  storeFields: ["text", "postCount"],
  tokenize: splitTerms,
  processTerm: keepTerm,
  searchOptions: SEARCH_DEFAULTS,
};

/**
 * MiniSearch's vacuum (which drops the terms of discarded documents) deletes terms from its tree while it walks it,
 * which breaks its walk (an uncaught TypeError in TreeIterator.dive that ends the process: minisearch#306). So
 * documents are removed, never discarded: `remove` drops their terms at once, from the indexed text kept in the
 * stored fields, and nothing is left to vacuum.
 */
/** A followed account weighs as much as one with about ten thousand followers more. */
const FOLLOWED_BOOST = 2;

/** Grows with the logarithm of a count: 1 for none, 2 for 10,000, 2.5 for a million. */
function popularity(count: number): number {
  return 1 + Math.log10(1 + Math.max(0, count)) / 4;
}

/** The snapshot of one type of one generation as format 1 wrote it: MiniSearch's own JSON and the versions. */
export interface TypeSnapshot {
  index: AsPlainObject;
  versions: VersionBookJson;
}

/** One part of the snapshot of one type of one generation (format 2): a part of its index or of its versions. */
export type TypePart = { index: IndexPart } | { versions: VersionBookJson };

/** What a generation is restored from, per type: its parts in the order they were made. */
export type GenerationParts = Record<SearchType, readonly TypePart[]>;

/** The parts of a type's snapshot written whole by format 1. */
export function partsOfTypeSnapshot(snapshot: TypeSnapshot): TypePart[] {
  return [...partsOfPlainObject(snapshot.index).map((index) => ({ index })), { versions: snapshot.versions }];
}

export const SEARCH_TYPES: readonly SearchType[] = ["user", "post", "tag"];

/**
 * One generation of the embedded index: a MiniSearch instance per type, and the versions of its documents.
 * Everything here is synchronous and in memory; durability is the caller's (EmbeddedSearchIndex logs each batch
 * before it reaches `apply`).
 */
export class SearchGeneration {
  private readonly users: ChunkedMiniSearch<UserEntry>;
  private readonly posts: ChunkedMiniSearch<PostEntry>;
  private readonly tags: ChunkedMiniSearch<TagEntry>;
  private readonly versions: VersionBooks;

  constructor(
    readonly name: string,
    restored?: GenerationParts,
  ) {
    if (restored === undefined) {
      this.users = new ChunkedMiniSearch(USER_OPTIONS);
      this.posts = new ChunkedMiniSearch(POST_OPTIONS);
      this.tags = new ChunkedMiniSearch(TAG_OPTIONS);
      this.versions = { user: new VersionBook(), post: new VersionBook(), tag: new VersionBook() };
    } else {
      this.users = ChunkedMiniSearch.fromParts(indexParts(restored.user), USER_OPTIONS);
      this.posts = ChunkedMiniSearch.fromParts(indexParts(restored.post), POST_OPTIONS);
      this.tags = ChunkedMiniSearch.fromParts(indexParts(restored.tag), TAG_OPTIONS);
      this.versions = {
        user: VersionBook.fromJSON(...versionParts(restored.user)),
        post: VersionBook.fromJSON(...versionParts(restored.post)),
        tag: VersionBook.fromJSON(...versionParts(restored.tag)),
      };
    }
  }

  /**
   * Forgets the tombstones made before `at - tombstoneMs`, then applies the ops in order, each only when its
   * version is newer than the one held for its document. `at` is when the batch was first applied (the log keeps
   * it), so a replay forgets exactly what the first run forgot.
   */
  apply(ops: readonly IndexOp[], at: number, tombstoneMs: number): void {
    for (const type of SEARCH_TYPES) this.versions[type].prune(at - tombstoneMs);
    for (const op of ops) this.applyOne(op, at);
  }

  count(type: SearchType): number {
    return this.indexOf(type).documentCount;
  }

  searchUsers(query: UserQuery): SearchHits {
    const words = queryWords(query.text);
    if (words.words.length === 0) return { ids: [] };
    const excluded = new Set(query.excludeIds);
    const followed = new Set(query.followedIds);
    const handle = query.text.trim().replace(/^@/, "").toLowerCase();
    const results = this.users.search(queryOf(words), {
      filter: (result) => !excluded.has(idOf(result)),
      boostDocument: (id: unknown, _term: string, stored?: Record<string, unknown>) =>
        (typeof id === "string" && followed.has(id) ? FOLLOWED_BOOST : 1) *
        popularity(numberOf(stored?.followerCount)),
    });
    const hits = results.map((result) => ({
      id: idOf(result),
      exact: stringOf(result.handle) === handle ? 1 : 0,
      quality: qualityOf(result.match, words),
      score: result.score,
    }));
    hits.sort(
      (a, b) => b.exact - a.exact || b.quality - a.quality || b.score - a.score || compareText(a.id, b.id),
    );
    return pageOf(
      hits,
      query,
      (hit) => hit.id,
      (ids, nextOffset) => withNext({ ids }, nextOffset),
    );
  }

  searchTags(query: TagQuery): TagHits {
    const words = queryWords(query.text);
    if (words.words.length === 0) return { items: [] };
    const whole = words.words.length === 1 ? words.words[0] : words.joined;
    const results = this.tags.search(queryOf(words), {
      boostDocument: (_id: unknown, _term: string, stored?: Record<string, unknown>) =>
        popularity(numberOf(stored?.postCount)),
    });
    const hits = results.map((result) => {
      const tag = idOf(result);
      return {
        tag,
        postCount: numberOf(result.postCount),
        exact: wordsOf(tag).join("") === whole ? 1 : 0,
        quality: qualityOf(result.match, words),
        score: result.score,
      };
    });
    hits.sort(
      (a, b) => b.exact - a.exact || b.quality - a.quality || b.score - a.score || compareText(a.tag, b.tag),
    );
    return pageOf(
      hits,
      query,
      ({ tag, postCount }) => ({ tag, postCount }),
      (items, nextOffset) => withNext({ items }, nextOffset),
    );
  }

  searchPosts(query: PostQuery): SearchHits {
    const words = queryWords(query.text);
    if (words.words.length === 0) return { ids: [] };
    const blocked = new Set(query.excludeAuthorIds);
    const allowedPrivate = new Set(query.privateAuthorIds);
    const results = this.posts.search(queryOf(words), {
      filter: (result) => {
        const author = stringOf(result.authorId);
        if (blocked.has(author)) return false;
        return result.authorPrivate !== true || allowedPrivate.has(author);
      },
    });
    const hits = results.map((result) => ({
      id: idOf(result),
      createdAt: numberOf(result.createdAt),
      quality: qualityOf(result.match, words),
      score: result.score,
    }));
    if (query.order === "recent") {
      hits.sort((a, b) => b.createdAt - a.createdAt || compareVersionsOrText(b.id, a.id));
    } else {
      hits.sort(
        (a, b) =>
          b.quality - a.quality ||
          b.score - a.score ||
          b.createdAt - a.createdAt ||
          compareVersionsOrText(b.id, a.id),
      );
    }
    return pageOf(
      hits,
      query,
      (hit) => hit.id,
      (ids, nextOffset) => withNext({ ids }, nextOffset),
    );
  }

  /** Removes a document with the text it was indexed with (see the note on MiniSearch's vacuum above). */
  private remove(type: SearchType, id: string): void {
    const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
    switch (type) {
      case "user": {
        const stored = this.users.getStoredFields(id) ?? {};
        this.users.remove({
          id,
          username: text(stored.username),
          name: text(stored.name),
          handle: "",
          followerCount: 0,
        });
        break;
      }
      case "post": {
        const stored = this.posts.getStoredFields(id) ?? {};
        this.posts.remove({ id, text: text(stored.text), authorId: "", authorPrivate: false, createdAt: 0 });
        break;
      }
      case "tag": {
        const stored = this.tags.getStoredFields(id) ?? {};
        this.tags.remove({ id, text: text(stored.text), postCount: 0 });
        break;
      }
    }
  }

  /**
   * The type's index and versions in parts of at most `size` documents, postings or versions each, made as they are
   * asked for. Nothing may be applied to this generation until the last part is taken.
   */
  *snapshotParts(type: SearchType, size: number): Generator<TypePart> {
    for (const index of this.indexOf(type).parts(size)) yield { index };
    for (const versions of this.versions[type].parts(size)) yield { versions };
  }

  private applyOne(op: IndexOp, at: number): void {
    const id = idOfOp(op);
    const book = this.versions[op.type];
    if (!book.isNewer(id, op.version)) return;
    const index = this.indexOf(op.type);
    if (index.has(id)) this.remove(op.type, id);
    if (op.op === "delete") {
      book.delete(id, op.version, at);
      return;
    }
    book.put(id, op.version);
    switch (op.type) {
      case "user":
        this.users.add(userEntry(op.doc));
        break;
      case "post":
        this.posts.add(postEntry(op.doc));
        break;
      case "tag":
        this.tags.add(tagEntry(op.doc));
        break;
    }
  }

  private indexOf(
    type: SearchType,
  ): ChunkedMiniSearch<UserEntry> | ChunkedMiniSearch<PostEntry> | ChunkedMiniSearch<TagEntry> {
    switch (type) {
      case "user":
        return this.users;
      case "post":
        return this.posts;
      case "tag":
        return this.tags;
    }
  }
}

function indexParts(parts: readonly TypePart[]): IndexPart[] {
  return parts.flatMap((part) => ("index" in part ? [part.index] : []));
}

function versionParts(parts: readonly TypePart[]): VersionBookJson[] {
  return parts.flatMap((part) => ("versions" in part ? [part.versions] : []));
}

/** A field's terms as one space-separated string; undefined when there are none (MiniSearch skips the field). */
function termsText(terms: Iterable<string>): string | undefined {
  const text = [...new Set(terms)].join(" ");
  return text === "" ? undefined : text;
}

/** The words, and for a name of several words ("mari_sol", "Jo Jo") the run-together spellings too. */
function withJoined(words: string[]): string[] {
  return words.length > 1 ? [...words, words.join(""), ...adjacentPairs(words)] : words;
}

function userEntry(doc: UserDocument): UserEntry {
  const usernameWords = wordsOf(doc.username);
  return {
    id: doc.id,
    username: termsText(
      usernameWords.length > 1 ? [...usernameWords, usernameWords.join("")] : usernameWords,
    ),
    name: termsText(withJoined(wordsOf(doc.displayName))),
    handle: doc.username.toLowerCase(),
    followerCount: doc.followerCount,
  };
}

function postEntry(doc: PostDocument): PostEntry {
  const terms = wordsOf(doc.caption);
  // A caption holds its tags already (`#summer_vibes` gives summer, vibes); the tag whole is added.
  for (const tag of doc.hashtags) {
    const tagWords = wordsOf(tag);
    terms.push(tagWords.join(""));
  }
  return {
    id: doc.id,
    text: termsText(terms),
    authorId: doc.authorId,
    authorPrivate: doc.authorPrivate,
    createdAt: doc.createdAt,
  };
}

function tagEntry(doc: TagDocument): TagEntry {
  const tagWords = wordsOf(doc.tag);
  const spelled = doc.words.flatMap((word) => wordsOf(word));
  return {
    id: doc.tag,
    text: termsText([...withJoined(tagWords), ...spelled]),
    postCount: doc.postCount,
  };
}

interface Words {
  /** Each word of the query once. */
  words: string[];
  /** All the words of the query run together ("jo jo": "jojo"); empty for a single word. */
  joined: string;
}

function queryOf({ words, joined }: Words): Query {
  if (words.length === 1 && joined === "") return words[0]!;
  return { combineWith: "OR", queries: [{ combineWith: "AND", queries: words }, joined] };
}

/**
 * How well a document matched, the first key of relevance: per query word 2 for an exact match, 1 for a prefix,
 * 0 for an edit-distance match (the document terms in `match` are those that matched). A match of the words run
 * together counts as if each word had matched that way.
 */
function qualityOf(match: MatchInfo, { words, joined }: Words): number {
  const terms = Object.keys(match);
  let quality = 0;
  for (const word of words) quality += kindOf(word, terms);
  if (joined !== "") quality = Math.max(quality, kindOf(joined, terms) * words.length);
  return quality;
}

function kindOf(word: string, terms: readonly string[]): number {
  let kind = 0;
  for (const term of terms) {
    if (term === word) return 2;
    if (term.startsWith(word)) kind = 1;
  }
  return kind;
}

/** The page asked for, within the first MAX_SEARCH_WINDOW results; out-of-range paging is brought into range. */
function pageOf<Hit, Item, Page>(
  hits: readonly Hit[],
  paging: SearchPaging,
  item: (hit: Hit) => Item,
  page: (items: Item[], nextOffset: number | undefined) => Page,
): Page {
  const limit = Math.min(100, Math.max(1, Math.trunc(paging.limit) || 1));
  const offset = Math.max(0, Math.trunc(paging.offset) || 0);
  const end = Math.min(offset + limit, MAX_SEARCH_WINDOW);
  const items = offset < end ? hits.slice(offset, end).map(item) : [];
  return page(items, end < MAX_SEARCH_WINDOW && hits.length > end ? end : undefined);
}

function withNext<T extends object>(page: T, nextOffset: number | undefined): T & { nextOffset?: number } {
  return nextOffset === undefined ? page : { ...page, nextOffset };
}

function idOf(result: SearchResult): string {
  const id: unknown = result.id;
  return typeof id === "string" ? id : String(id);
}

function stringOf(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function numberOf(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Snowflake ids compare as numbers; any other id falls back to text order. */
function compareVersionsOrText(a: string, b: string): number {
  return /^[0-9]+$/.test(a) && /^[0-9]+$/.test(b) ? compareVersions(a, b) : compareText(a, b);
}
