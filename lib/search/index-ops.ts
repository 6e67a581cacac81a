import type { IndexOp, PostDocument, SearchType, TagDocument, UserDocument } from "./search-index";

const TYPES: ReadonlySet<string> = new Set<SearchType>(["user", "post", "tag"]);

/**
 * Checks an op's shape at run time: ops reach the index from the outbox and from the log on disk, and a malformed
 * one must be refused before any op of its batch is applied (or, read back from the log, before it is replayed).
 * Throws a RangeError naming what is wrong.
 */
export function assertIndexOp(value: unknown): IndexOp {
  if (typeof value !== "object" || value === null) throw new RangeError("an index op must be an object");
  const op = value as Record<string, unknown>;
  const type = op.type;
  if (typeof type !== "string" || !TYPES.has(type))
    throw new RangeError(`unknown search type ${String(type)}`);
  if (!isVersion(op.version)) {
    throw new RangeError(`version ${JSON.stringify(op.version)} is not a decimal integer from 1 to 2^63 - 1`);
  }
  const searchType = type as SearchType;
  if (op.op === "delete") {
    if (!isId(op.id)) throw new RangeError("a delete needs the id of the document");
    return { type: searchType, op: "delete", id: op.id, version: op.version };
  }
  if (op.op !== "put") throw new RangeError(`unknown index op ${String(op.op)}`);
  const doc = op.doc;
  if (typeof doc !== "object" || doc === null) throw new RangeError("a put needs a document");
  const fields = doc as Record<string, unknown>;
  switch (searchType) {
    case "user":
      return { type: "user", op: "put", doc: userDocument(fields), version: op.version };
    case "post":
      return { type: "post", op: "put", doc: postDocument(fields), version: op.version };
    case "tag":
      return { type: "tag", op: "put", doc: tagDocument(fields), version: op.version };
  }
}

/** The id an op is about: a tag's id is the tag itself. */
export function idOfOp(op: IndexOp): string {
  if (op.op === "delete") return op.id;
  return op.type === "tag" ? op.doc.tag : op.doc.id;
}

function userDocument(doc: Record<string, unknown>): UserDocument {
  const { id, username, displayName, isPrivate, followerCount } = doc;
  if (
    !isId(id) ||
    typeof username !== "string" ||
    typeof displayName !== "string" ||
    typeof isPrivate !== "boolean" ||
    !isCount(followerCount)
  ) {
    throw new RangeError("a user document needs id, username, displayName, isPrivate and followerCount");
  }
  return { id, username, displayName, isPrivate, followerCount };
}

function postDocument(doc: Record<string, unknown>): PostDocument {
  const { id, authorId, caption, hashtags, authorPrivate, createdAt } = doc;
  if (
    !isId(id) ||
    !isId(authorId) ||
    typeof caption !== "string" ||
    !isStrings(hashtags) ||
    typeof authorPrivate !== "boolean" ||
    typeof createdAt !== "number" ||
    !Number.isFinite(createdAt)
  ) {
    throw new RangeError(
      "a post document needs id, authorId, caption, hashtags, authorPrivate and createdAt",
    );
  }
  return { id, authorId, caption, hashtags: [...hashtags], authorPrivate, createdAt };
}

function tagDocument(doc: Record<string, unknown>): TagDocument {
  const { tag, words, postCount } = doc;
  if (!isId(tag) || !isStrings(words) || !isCount(postCount)) {
    throw new RangeError("a tag document needs tag, words and postCount");
  }
  return { tag, words: [...words], postCount };
}

function isId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/** 2^63 - 1: a version is below 2^63, so it is at most this (19 digits). */
const MAX_VERSION = "9223372036854775807";
const VERSION = /^[1-9][0-9]{0,18}$/;

export function isVersion(value: unknown): value is string {
  return (
    typeof value === "string" &&
    VERSION.test(value) &&
    (value.length < MAX_VERSION.length || value <= MAX_VERSION)
  );
}

/**
 * Compares two versions (canonical decimal strings, no leading zeros) as numbers, without BigInt: a longer
 * string is a larger number, and strings of one length compare as their digits do. Versions are Snowflake ids,
 * far past 2^53, where Number would call two neighbours equal.
 */
export function compareVersions(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
