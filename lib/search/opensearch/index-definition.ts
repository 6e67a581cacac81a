/**
 * The settings, analysis chain and mappings of one generation (one physical index holding the three document
 * types). The JSON below is sent as is when a generation is created; the query builders in `queries.ts` rely on
 * the field and analyzer names declared here.
 */

/** Query words are split here and in the engine on the same characters: anything but letters, digits, marks. */
export const WORD_SEPARATOR_SOURCE = "[^\\p{L}\\p{N}\\p{M}]+";

/** Edge n-grams stop here; a longer query word is matched as a prefix query on the plain words instead. */
export const MAX_EDGE_GRAM = 20;

/**
 * How long the engine remembers the version of a document deleted for good (`index.gc_deletes`). The adapter
 * itself never deletes on an op: it overwrites the document with a tombstone (below), which keeps its version in
 * the index, across restarts; the engine's own memory of deletions is in the node's heap only, and a restarted
 * node forgets it (measured: a put of version 7 brought back a document deleted at version 10).
 */
export const DELETE_TOMBSTONE_TTL = "15m";

/** The `type` of a deleted document's tombstone: no query nor count asks for it. */
export const TOMBSTONE_TYPE = "deleted";

/**
 * Analysis. Every chain folds the same way (combining marks stripped by a char filter, so a caption typed in NFD
 * folds like one in NFC; then lowercase and asciifolding: "Ñúñez" gives "nunez", "Straße" gives "strasse").
 *
 * - `words`: the words of a text, folded. Exact and fuzzy matches.
 * - `word_prefixes`: every prefix of every word up to MAX_EDGE_GRAM letters (edge n-grams), so a prefix match is
 *   a single term lookup rather than a prefix query expanding over the whole vocabulary. Searched with
 *   `word_prefix_query`, which truncates like the index side.
 * - `joined_words`: adjacent words glued together (shingles of 2 and 3 with no separator), so "jojo" finds
 *   "Jo Jo". The reverse ("jo jo" finds "jojo") is done by the query, which also tries the words of the text
 *   joined.
 * - `compact` / `compact_prefixes` (usernames, tags): the whole value folded with every separator removed
 *   ("jo_jo.99" gives "jojo99"), whole and as edge n-grams, so "jo jo 9" or "@JoJo" find "jo_jo.99".
 */
const analysis = {
  char_filter: {
    strip_marks: { type: "pattern_replace", pattern: "\\p{M}+", replacement: "" },
    strip_separators: { type: "pattern_replace", pattern: WORD_SEPARATOR_SOURCE, replacement: "" },
  },
  tokenizer: {
    words: { type: "pattern", pattern: WORD_SEPARATOR_SOURCE },
  },
  filter: {
    fold: { type: "asciifolding", preserve_original: false },
    edge_prefixes: { type: "edge_ngram", min_gram: 1, max_gram: MAX_EDGE_GRAM },
    edge_truncate: { type: "truncate", length: MAX_EDGE_GRAM },
    joined: {
      type: "shingle",
      min_shingle_size: 2,
      max_shingle_size: 3,
      output_unigrams: false,
      token_separator: "",
      filler_token: "",
    },
    // Whole values (compact analyzers) longer than this are not worth indexing as one term.
    compact_limit: { type: "truncate", length: 64 },
  },
  analyzer: {
    words: {
      type: "custom",
      char_filter: ["strip_marks"],
      tokenizer: "words",
      filter: ["lowercase", "fold"],
    },
    word_prefixes: {
      type: "custom",
      char_filter: ["strip_marks"],
      tokenizer: "words",
      filter: ["lowercase", "fold", "edge_prefixes"],
    },
    word_prefix_query: {
      type: "custom",
      char_filter: ["strip_marks"],
      tokenizer: "words",
      filter: ["lowercase", "fold", "edge_truncate"],
    },
    joined_words: {
      type: "custom",
      char_filter: ["strip_marks"],
      tokenizer: "words",
      filter: ["lowercase", "fold", "joined"],
    },
    compact: {
      type: "custom",
      char_filter: ["strip_marks", "strip_separators"],
      tokenizer: "keyword",
      filter: ["lowercase", "fold", "compact_limit"],
    },
    compact_prefixes: {
      type: "custom",
      char_filter: ["strip_marks", "strip_separators"],
      tokenizer: "keyword",
      filter: ["lowercase", "fold", "edge_prefixes"],
    },
    compact_prefix_query: {
      type: "custom",
      char_filter: ["strip_marks", "strip_separators"],
      tokenizer: "keyword",
      filter: ["lowercase", "fold", "edge_truncate"],
    },
  },
  normalizer: {
    // The exact username: case and diacritics folded, nothing else ("JoJo" is "jojo", "jo_jo" is not).
    folded: { type: "custom", char_filter: ["strip_marks"], filter: ["lowercase", "asciifolding"] },
  },
};

/** The sub-fields every searchable text gets: words (the field itself), prefixes, joined words. */
const wordFields = {
  prefixes: { type: "text", analyzer: "word_prefixes", search_analyzer: "word_prefix_query", norms: false },
  joined: { type: "text", analyzer: "joined_words", search_analyzer: "words", norms: false },
};

const searchableText = { type: "text", analyzer: "words", norms: false, fields: wordFields };

/**
 * One mapping for the three types (`type` tells them apart, `docId` is the id within the type; `_id` is
 * `<type>:<docId>` so that versions are per document). Strict: a field not listed is a bug, not a guess.
 * Norms are off because matches are scored by tier (exact, prefix, fuzzy), not by field length.
 */
const mappings = {
  dynamic: "strict",
  properties: {
    type: { type: "keyword" },
    docId: { type: "keyword" },
    // user
    username: {
      type: "keyword",
      fields: {
        exact: { type: "keyword", normalizer: "folded" },
        words: { type: "text", analyzer: "words", norms: false },
        ...wordFields,
        compact: { type: "text", analyzer: "compact", norms: false },
        compact_prefixes: {
          type: "text",
          analyzer: "compact_prefixes",
          search_analyzer: "compact_prefix_query",
          norms: false,
        },
      },
    },
    displayName: searchableText,
    isPrivate: { type: "boolean" },
    followerCount: { type: "long" },
    // post
    authorId: { type: "keyword" },
    caption: searchableText,
    hashtags: {
      type: "keyword",
      fields: {
        words: { type: "text", analyzer: "words", norms: false },
        prefixes: wordFields.prefixes,
      },
    },
    authorPrivate: { type: "boolean" },
    createdAt: { type: "long" },
    // tag
    tag: {
      type: "keyword",
      fields: {
        words: { type: "text", analyzer: "words", norms: false },
        prefixes: wordFields.prefixes,
        compact: { type: "text", analyzer: "compact", norms: false },
      },
    },
    words: { type: "text", analyzer: "words", norms: false, fields: { prefixes: wordFields.prefixes } },
    postCount: { type: "long" },
    // tombstone
    deletedAt: { type: "long" },
  },
};

/** The body of the create-index request of a generation. */
export function generationBody(options: { replicas: number }): Record<string, unknown> {
  return {
    settings: {
      index: {
        number_of_shards: 1,
        number_of_replicas: options.replicas,
        // Set explicitly, so a shard that has not been searched lately still refreshes every second: a bulk with
        // refresh=wait_for then waits at most about a second.
        refresh_interval: "1s",
        gc_deletes: DELETE_TOMBSTONE_TTL,
        max_ngram_diff: MAX_EDGE_GRAM,
        max_shingle_diff: 2,
      },
      analysis,
    },
    mappings,
  };
}
