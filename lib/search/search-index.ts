/**
 * The search port: the documents Mosaic makes findable, and the three queries it asks. Two engines implement it:
 * `EmbeddedSearchIndex` (in process, MiniSearch, snapshot plus log under DATA_DIR), which a node runs on a thread
 * of its own through `ThreadedSearchIndex`, and `OpenSearchIndex` (OpenSearch or Elasticsearch through
 * `@opensearch-project/opensearch`); one contract suite (`test/unit/search/search-index.contract.ts`) runs against
 * all three, so the rules below hold for any.
 *
 * The index is a projection of the store, never the truth: the search service rebuilds each document from the
 * store before it writes it, and callers hydrate the ids it answers from the store again.
 */

/** An account as search sees it. Private accounts are findable (as on Instagram); their posts are not. */
export interface UserDocument {
  id: string;
  username: string;
  displayName: string;
  isPrivate: boolean;
  followerCount: number;
}

/** A post as search sees it: its caption and tags, and what visibility filtering needs of its author. */
export interface PostDocument {
  id: string;
  authorId: string;
  caption: string;
  /** Lower-cased, as `parseHashtags` writes them. */
  hashtags: string[];
  /** The author's privacy now: changed on every post of the author when the account goes private or public. */
  authorPrivate: boolean;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** A hashtag as search sees it. */
export interface TagDocument {
  /** The tag as stored (lower-cased, diacritics kept): `summervibes`, `café`. */
  tag: string;
  /**
   * The words of the tag as people spelled it, split at CamelCase and digits (`SummerVibes2026` gives
   * `summer`, `vibes`, `2026`), so a search for one word finds it. May be empty.
   */
  words: string[];
  /** Posts that carry the tag now. */
  postCount: number;
}

/**
 * One change to apply. `version` is a decimal string of a positive integer below 2^63 (a Snowflake id of the
 * job that asked for it): a put or delete whose version is lower than or equal to the version the index holds for
 * that document (put or delete) is ignored, so a late update never brings back a deleted document nor an older
 * caption. Versions of deletions are remembered for at least ten minutes.
 */
export type IndexOp =
  | { type: "user"; op: "put"; doc: UserDocument; version: string }
  | { type: "post"; op: "put"; doc: PostDocument; version: string }
  | { type: "tag"; op: "put"; doc: TagDocument; version: string }
  | { type: SearchType; op: "delete"; id: string; version: string };

export type SearchType = "user" | "post" | "tag";

/** Paging shared by the queries: relevance ranking pages by offset, within `MAX_SEARCH_WINDOW` results. */
export interface SearchPaging {
  /** 1 to 100. */
  limit: number;
  /** 0 to MAX_SEARCH_WINDOW - limit. */
  offset: number;
}

export const MAX_SEARCH_WINDOW = 1_000;

/**
 * Text matching, the same for the three queries: the text and the documents are folded (case, diacritics:
 * "nunez" finds "Ñúñez", "jos" finds "José"), every word of the text must match a word of the document as a
 * prefix or within an edit distance (1 for words of 4 to 7 letters, 2 from 8: "marianna" finds "mariana"), and
 * the words of the text joined match a joined word ("jo jo" finds "jojo"). The text is data, never query syntax:
 * any character (quotes, `*`, `~`, `:`, brackets, control characters) is matched or ignored, never an error.
 * An exact match ranks above a prefix, a prefix above a fuzzy match.
 */
export interface UserQuery extends SearchPaging {
  text: string;
  /** Accounts never answered (blocked by or blocking the caller). At most 5,000. */
  excludeIds: readonly string[];
  /** Accounts the caller follows: they rank above others of similar relevance. At most 5,000. */
  followedIds: readonly string[];
}

export interface TagQuery extends SearchPaging {
  text: string;
}

export interface PostQuery extends SearchPaging {
  text: string;
  /** `relevance` (default): best match first; `recent`: newest first among the matches. */
  order: "relevance" | "recent";
  /** Posts of these authors are never answered (blocks either way). At most 5,000. */
  excludeAuthorIds: readonly string[];
  /**
   * Private authors whose posts the caller may see (those it follows, and itself). Posts of other private
   * authors are never answered. At most 5,000.
   */
  privateAuthorIds: readonly string[];
}

/**
 * Ids in rank order. Users rank: the exact username first, then by relevance, with a boost for followed accounts
 * and for more followers (logarithmic). `nextOffset` is present when more results may follow within the window.
 * Filters apply inside the query: asking for 20 gives 20 whenever 20 matching visible documents exist.
 */
export interface SearchHits {
  ids: string[];
  nextOffset?: number;
}

export interface TagHit {
  tag: string;
  postCount: number;
}

export interface TagHits {
  items: TagHit[];
  nextOffset?: number;
}

/**
 * A generation is one physical index (`mosaic-20261205t231500` on OpenSearch, one MiniSearch instance embedded);
 * the live one answers queries. A reindex creates a generation, fills it while live writes go to both, and
 * promotes it in one step (an alias swap): queries never see a half-built index.
 */
export interface SearchGenerations {
  /** The generation queries read now. */
  live(): Promise<string>;
  /** Creates an empty generation and answers its name. */
  create(): Promise<string>;
  /** Makes `generation` the live one and drops the one it replaces. */
  promote(generation: string): Promise<void>;
  /** Drops a generation that is not live (an abandoned reindex). */
  drop(generation: string): Promise<void>;
  /** The generations that exist, live or not. */
  list(): Promise<string[]>;
}

export interface SearchIndex {
  /** Connects (or loads the snapshot and replays the log) and creates the live generation when there is none. */
  open(): Promise<void>;
  /** Flushes (the embedded adapter writes a snapshot) and closes; operations after close reject. */
  close(): Promise<void>;
  /** True while the engine answers. */
  isReady(): Promise<boolean>;

  /**
   * Names the index for the indexer's bookkeeping (the outbox's checkpoints and shard leases, a reindex under
   * way): the same on every node that writes the same index (OpenSearch: the index prefix), its own for each
   * embedded index (an id kept in its folder), so that two nodes with embedded indices never split one outbox
   * between them, and a restarted one goes on from its own checkpoints. Known once open.
   */
  identity(): string;

  /**
   * Applies the ops, in one bulk request where the engine has one, to the live generation (or to the one named).
   * Idempotent: applying the same ops again changes nothing. Resolves once they are durable and searchable;
   * rejects with SearchUnavailableError when the engine cannot be reached.
   */
  apply(ops: readonly IndexOp[], generation?: string): Promise<void>;

  searchUsers(query: UserQuery): Promise<SearchHits>;
  searchTags(query: TagQuery): Promise<TagHits>;
  searchPosts(query: PostQuery): Promise<SearchHits>;

  /** How many documents of a type the live generation holds (for progress and tests). */
  count(type: SearchType, generation?: string): Promise<number>;

  readonly generations: SearchGenerations;
}
