import type { PostQuery, TagQuery, UserQuery } from "../search-index";
import { MAX_EDGE_GRAM } from "./index-definition";

/**
 * The three queries as OpenSearch query DSL. The user's text only ever goes into `match` queries on named fields
 * (analysed by our own analyzers, never parsed as syntax): no `query_string`, no `simple_query_string`.
 *
 * Scoring is by tiers rather than by BM25, because the port promises an order: per word of the text, the best of
 * an exact word (EXACT), a prefix (PREFIX) or a fuzzy match (FUZZY), each a constant score, weighted by the field
 * it hit; the words' scores add up. Users then get a large constant for the exact username, and boosts for
 * followed accounts and for followers (log1p); tags a large constant for the exact tag and a boost for posts.
 */

const EXACT = 8;
const PREFIX = 4;
const FUZZY = 2;
const EXACT_NAME = 1_000;
const COMPACT_NAME = 200;
const FOLLOWED = 3;
/**
 * Followers and posts add log10(1 + n) times this, at most POPULARITY_CAP (reached at a billion): less than the
 * gap between two tiers, so popularity orders matches of one tier and never lifts a fuzzy match over a prefix.
 */
const POPULARITY = 1 / 6;
const POPULARITY_CAP = 1.5;

/** `fuzziness` as the port states it: no edit below 4 letters, 1 from 4 to 7, 2 from 8. */
const FUZZINESS = "AUTO:4,8";
/** Few expansions per fuzzy word: the rewritten query must stay below Lucene's 1,024 clauses whatever the text. */
const MAX_EXPANSIONS = 16;
/** Words beyond these are matched exactly or as prefixes only, for the same reason. */
const MAX_FUZZY_WORDS = 8;
/** Words beyond these are ignored, as the embedded index does (MAX_QUERY_WORDS). */
const MAX_WORDS = 16;

const MARKS = /\p{M}+/gu;
const SEPARATORS = /[^\p{L}\p{N}]+/u;

/**
 * The words of a text as the engine's `words` analyzer splits them (marks dropped, split at anything but letters
 * and digits, so control characters, lone surrogates and query syntax all separate words). Folding is left to
 * the engine.
 */
export function wordsOf(text: string): string[] {
  return text
    .replace(MARKS, "")
    .split(SEPARATORS)
    .filter((word) => word !== "")
    .slice(0, MAX_WORDS);
}

/** Each word must match once: a repeated word adds nothing but clauses. */
function distinct(words: readonly string[]): string[] {
  return [...new Set(words.map((word) => word.toLowerCase()))];
}

type Query = Record<string, unknown>;

function constant(filter: Query, boost: number): Query {
  return { constant_score: { filter, boost } };
}

function match(field: string, query: string, extra: Record<string, unknown> = {}): Query {
  return { match: { [field]: { query, ...extra } } };
}

/** A searchable text field and how much a match on it weighs against the type's main field. */
interface WordField {
  /** The field analysed by `words` (exact and fuzzy matches). */
  words: string;
  /** Its edge n-gram sub-field, when it has one. */
  prefixes?: string;
  /** Its shingle sub-field, when it has one: adjacent words of the document joined. */
  joined?: string;
  weight: number;
}

/** How one word of the text may match: the best tier wins (dis_max). */
function wordClause(word: string, fields: readonly WordField[], fuzzy: boolean): Query {
  const queries: Query[] = [];
  const long = [...word].length >= MAX_EDGE_GRAM - 2;
  for (const field of fields) {
    queries.push(constant(match(field.words, word), EXACT * field.weight));
    if (field.joined !== undefined)
      queries.push(constant(match(field.joined, word), EXACT * field.weight * 0.9));
    if (field.prefixes !== undefined && !long) {
      queries.push(constant(match(field.prefixes, word), PREFIX * field.weight));
    } else {
      // Edge n-grams stop at MAX_EDGE_GRAM letters: a long word is a prefix query on the folded word.
      queries.push(
        constant({ match_bool_prefix: { [field.words]: { query: word } } }, PREFIX * field.weight),
      );
    }
    if (fuzzy && [...word].length >= 3) {
      const options = { fuzziness: FUZZINESS, max_expansions: MAX_EXPANSIONS, prefix_length: 0 };
      queries.push(constant(match(field.words, word, options), FUZZY * field.weight));
      if (field.joined !== undefined) {
        queries.push(constant(match(field.joined, word, options), FUZZY * field.weight * 0.9));
      }
    }
  }
  return { dis_max: { queries, tie_breaker: 0 } };
}

/**
 * The text matches when every word matches (as a word, a prefix or within the edit distance), or when its words
 * joined do ("jo jo" finds "jojo"), or through `extra` (the type's whole-value matches).
 */
function textClause(
  words: readonly string[],
  fields: readonly WordField[],
  extra: readonly Query[] = [],
): Query {
  const alternatives: Query[] = [
    { bool: { must: distinct(words).map((word, i) => wordClause(word, fields, i < MAX_FUZZY_WORDS)) } },
  ];
  if (words.length > 1) alternatives.push(wordClause(words.join(""), fields, true));
  alternatives.push(...extra);
  return { bool: { should: alternatives, minimum_should_match: 1 } };
}

/** The text as a whole value (a username, a tag): trimmed, without the `@` or `#` people type in front. */
function wholeValue(text: string): string {
  return text.trim().replace(/^[@#]+/, "");
}

export interface PageRequest {
  from: number;
  size: number;
}

export function userSearch(query: UserQuery, words: readonly string[], page: PageRequest): Query {
  const whole = wholeValue(query.text);
  const fields: WordField[] = [
    { words: "username.words", prefixes: "username.prefixes", joined: "username.joined", weight: 1 },
    { words: "displayName", prefixes: "displayName.prefixes", joined: "displayName.joined", weight: 0.9 },
  ];
  const compact = [
    constant(match("username.compact", whole), EXACT),
    constant(match("username.compact_prefixes", whole), PREFIX),
  ];
  const should: Query[] = [
    constant(match("username.exact", whole), EXACT_NAME),
    constant(match("username.compact", whole), COMPACT_NAME),
  ];
  if (query.followedIds.length > 0) should.push(constant({ terms: { docId: query.followedIds } }, FOLLOWED));
  const bool: Record<string, unknown> = {
    filter: [{ term: { type: "user" } }],
    must: [textClause(words, fields, compact)],
    should,
  };
  if (query.excludeIds.length > 0) bool.must_not = [{ terms: { docId: query.excludeIds } }];
  return {
    ...page,
    _source: false,
    track_total_hits: false,
    query: {
      function_score: {
        query: { bool },
        functions: [
          {
            field_value_factor: { field: "followerCount", modifier: "log1p", factor: 1, missing: 0 },
            weight: POPULARITY,
          },
        ],
        score_mode: "sum",
        boost_mode: "sum",
        max_boost: POPULARITY_CAP,
      },
    },
    sort: [{ _score: "desc" }, { followerCount: "desc" }, { docId: "asc" }],
  };
}

export function tagSearch(query: TagQuery, words: readonly string[], page: PageRequest): Query {
  const whole = wholeValue(query.text);
  const fields: WordField[] = [
    { words: "tag.words", prefixes: "tag.prefixes", weight: 1 },
    { words: "words", prefixes: "words.prefixes", weight: 0.9 },
  ];
  const compact = [constant(match("tag.compact", whole), EXACT)];
  const should: Query[] = [
    // The tag as stored (lower case, diacritics kept): "café" ranks the tag café above cafe.
    constant({ term: { tag: whole.toLowerCase() } }, 2 * EXACT_NAME),
    constant(match("tag.compact", whole), EXACT_NAME),
  ];
  return {
    ...page,
    _source: ["tag", "postCount"],
    track_total_hits: false,
    query: {
      function_score: {
        query: {
          bool: { filter: [{ term: { type: "tag" } }], must: [textClause(words, fields, compact)], should },
        },
        functions: [
          {
            field_value_factor: { field: "postCount", modifier: "log1p", factor: 1, missing: 0 },
            weight: POPULARITY,
          },
        ],
        score_mode: "sum",
        boost_mode: "sum",
        max_boost: POPULARITY_CAP,
      },
    },
    sort: [{ _score: "desc" }, { postCount: "desc" }, { docId: "asc" }],
  };
}

export function postSearch(query: PostQuery, words: readonly string[], page: PageRequest): Query {
  const fields: WordField[] = [
    { words: "caption", prefixes: "caption.prefixes", joined: "caption.joined", weight: 1 },
    { words: "hashtags.words", prefixes: "hashtags.prefixes", weight: 1 },
  ];
  // Public authors, and the private ones the caller may see.
  const visible: Query[] = [{ term: { authorPrivate: false } }];
  if (query.privateAuthorIds.length > 0) visible.push({ terms: { authorId: query.privateAuthorIds } });
  const bool: Record<string, unknown> = {
    filter: [{ term: { type: "post" } }, { bool: { should: visible, minimum_should_match: 1 } }],
    must: [textClause(words, fields)],
  };
  if (query.excludeAuthorIds.length > 0) bool.must_not = [{ terms: { authorId: query.excludeAuthorIds } }];
  const recent = query.order === "recent";
  return {
    ...page,
    _source: false,
    track_total_hits: false,
    query: { bool },
    sort: recent
      ? [{ createdAt: "desc" }, { docId: "desc" }]
      : [{ _score: "desc" }, { createdAt: "desc" }, { docId: "desc" }],
  };
}
