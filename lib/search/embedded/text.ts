/**
 * How the embedded index reads text: the same folding for documents and queries, so that "nunez" meets "Ñúñez".
 * Folding is lower case, compatibility decomposition (NFKD: "ﬁ" is "fi", full-width "Ｊ" is "j") with the
 * combining marks dropped, and the few Latin letters that carry no separate mark spelled as ASCII, as
 * OpenSearch's asciifolding spells them, so both adapters agree on "Øster" and "straße".
 */
const UNMARKED_LETTERS: Readonly<Record<string, string>> = {
  ß: "ss",
  ø: "o",
  đ: "d",
  ð: "d",
  ł: "l",
  æ: "ae",
  œ: "oe",
  ı: "i",
  þ: "th",
  ħ: "h",
};
const UNMARKED = /[ßøđðłæœıþħ]/g;
const MARKS = /\p{M}+/gu;
/** Anything but a letter or a digit separates words: punctuation, symbols, emoji, controls, lone surrogates. */
const SEPARATORS = /[^\p{L}\p{N}]+/u;

/** A query of more words than this is cut: no caption search needs them, and each costs a walk of the index. */
export const MAX_QUERY_WORDS = 16;

export function foldText(text: string): string {
  return text
    .toLowerCase()
    .normalize("NFKD")
    .replace(MARKS, "")
    .replace(UNMARKED, (letter) => UNMARKED_LETTERS[letter] ?? letter);
}

/** The folded words of a text, in order, repeats kept. */
export function wordsOf(text: string): string[] {
  return foldText(text)
    .split(SEPARATORS)
    .filter((word) => word.length > 0);
}

/**
 * The words of a query, folded, each once and at most MAX_QUERY_WORDS; and, for a query of several words, all of
 * them run together in order ("jo jo" gives "jojo"), which may match a document word on its own.
 */
export function queryWords(text: string): { words: string[]; joined: string } {
  const all = wordsOf(text).slice(0, MAX_QUERY_WORDS);
  return { words: [...new Set(all)], joined: all.length > 1 ? all.join("") : "" };
}

/**
 * The edit distance a query word may be from a document word: none under 4 letters (too many short words lie
 * within one edit of each other), 1 from 4, 2 from 8; the same as OpenSearch's `fuzziness: AUTO:4,8`.
 */
export function fuzzinessOf(word: string): number {
  if (word.length >= 8) return 2;
  if (word.length >= 4) return 1;
  return 0;
}

/** The words joined two by two ("jo", "jo" gives "jojo"), so a query for the run-together spelling finds them. */
export function adjacentPairs(words: readonly string[]): string[] {
  const pairs: string[] = [];
  for (let i = 0; i + 1 < words.length; i++) pairs.push(`${words[i]}${words[i + 1]}`);
  return pairs;
}
