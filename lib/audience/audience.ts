import { z } from "zod";

/**
 * Who a post or story is shared with: `everyone` who may see the author's posts (anyone for a public account,
 * approved followers for a private one), or only those of them on the author's close-friends list.
 */
export const audience = z
  .enum(["everyone", "close_friends"])
  .describe("everyone who may see the author's posts, or only their close friends");

export type Audience = z.output<typeof audience>;

/** The stored column: absent (rows older than audiences, and every post for everyone) means everyone. */
export function audienceOfColumn(value: string | undefined): Audience {
  return value === "close_friends" ? "close_friends" : "everyone";
}

/** What the column holds for an audience: nothing for everyone, so rows read as they did before audiences. */
export function audienceColumn(value: Audience): { audience?: string } {
  return value === "close_friends" ? { audience: value } : {};
}

/** Whether one user keeps another on their close-friends list (lib/graph/close-friends.ts). */
export interface CloseFriendsLookup {
  includes(userId: string, friendId: string): Promise<boolean>;
}

/**
 * Whether `viewerId` is in the audience of content `authorId` shared with `shared`: always for everyone's and for
 * the author; for close friends', when the author's list names the viewer. The author's privacy and blocks are
 * decided apart, before this: both must let the viewer in.
 */
export async function inAudience(
  lookup: CloseFriendsLookup,
  shared: Audience,
  authorId: string,
  viewerId: string,
): Promise<boolean> {
  return shared === "everyone" || viewerId === authorId || lookup.includes(authorId, viewerId);
}

/**
 * An author's post rows a reader's timeline may take (a follow's backfill, a rebuild): everyone's, and close
 * friends' when the reader is on the author's list, so that a timeline holds no row its feed would only pass over.
 */
export function rowsForTimeline<R extends { audience?: string }>(
  lookup: CloseFriendsLookup,
  readerId: string,
  authorId: string,
  rows: readonly R[],
): Promise<R[]> {
  return keepInAudience(
    lookup,
    readerId,
    rows,
    (row) => audienceOfColumn(row.audience),
    () => authorId,
  );
}

/**
 * The same question for many items of a page, asking the list once per author: `audienceOf` and `authorOf` say
 * what each item is. Keeps the items the viewer may see, in order.
 */
export async function keepInAudience<T>(
  lookup: CloseFriendsLookup,
  viewerId: string,
  items: readonly T[],
  audienceOf: (item: T) => Audience,
  authorOf: (item: T) => string,
): Promise<T[]> {
  const askAbout = new Set(
    items.filter((item) => audienceOf(item) === "close_friends" && authorOf(item) !== viewerId).map(authorOf),
  );
  if (askAbout.size === 0) return [...items];
  const authors = [...askAbout];
  const answers = await Promise.all(authors.map((authorId) => lookup.includes(authorId, viewerId)));
  const admitted = new Set(authors.filter((_, i) => answers[i]));
  return items.filter(
    (item) => audienceOf(item) === "everyone" || authorOf(item) === viewerId || admitted.has(authorOf(item)),
  );
}
