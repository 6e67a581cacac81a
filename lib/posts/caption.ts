/**
 * Hashtags and mentions as Instagram reads them: `#` or `@` at the start or after a character that cannot be
 * part of a word, then letters, digits and `_` (mentions also `.`). Tags are lower-cased and kept once each, in
 * order of first appearance; both lists are bounded, as Instagram bounds them (30 tags, 20 mentions).
 */
const HASHTAG = /(?:^|[^\p{L}\p{N}_&/])#([\p{L}\p{N}_]{1,100})/gu;
const MENTION = /(?:^|[^\p{L}\p{N}_.@/])@([A-Za-z0-9._]{3,30})(?![A-Za-z0-9_])/gu;

export const MAX_HASHTAGS = 30;
export const MAX_MENTIONS = 20;

export function parseHashtags(caption: string): string[] {
  const tags = new Set<string>();
  for (const match of caption.matchAll(HASHTAG)) {
    const tag = match[1];
    // A tag of digits only (#1) is a number, not a tag.
    if (tag && !/^\p{N}+$/u.test(tag)) tags.add(tag.toLowerCase());
    if (tags.size === MAX_HASHTAGS) break;
  }
  return [...tags];
}

/**
 * The tags of a caption as they were spelled (`#SummerVibes`), once each by their lower-cased form: what search
 * splits into words, since the stored tags are lower-cased.
 */
export function spelledHashtags(caption: string): string[] {
  const tags = new Map<string, string>();
  for (const match of caption.matchAll(HASHTAG)) {
    const tag = match[1];
    if (tag && !/^\p{N}+$/u.test(tag) && !tags.has(tag.toLowerCase())) tags.set(tag.toLowerCase(), tag);
    if (tags.size === MAX_HASHTAGS) break;
  }
  return [...tags.values()];
}

/** Candidate usernames; the caller keeps only those of existing users. */
export function parseMentions(caption: string): string[] {
  const names = new Set<string>();
  for (const match of caption.matchAll(MENTION)) {
    const name = match[1]?.replace(/\.+$/, "").toLowerCase();
    if (name && name.length >= 3) names.add(name);
    if (names.size === MAX_MENTIONS) break;
  }
  return [...names];
}
