/** Counts as the interface writes them: in English, with thousands separators ("1,234"). */
export function formatCount(count: number): string {
  return count.toLocaleString("en-US");
}

/** The noun for `count` of it: "like" for 1, "likes" otherwise. */
export function pluralNoun(count: number, one: string, many = `${one}s`): string {
  return count === 1 ? one : many;
}

/** "1 like", "2 likes", "1,234 likes". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${pluralNoun(count, one, many)}`;
}

/** "alice, @Bob carol": the usernames a person typed (commas or spaces between, "@" optional), each once. */
export function parseUsernames(text: string): string[] {
  const names = text
    .split(/[\s,]+/)
    .map((name) => name.replace(/^@/, "").toLowerCase())
    .filter(Boolean);
  return [...new Set(names)];
}

/** The longest caption the API takes (lib/posts/params.ts), as Instagram's. */
export const MAX_CAPTION = 2200;
