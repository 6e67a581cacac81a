/**
 * How a node's cache memory (CACHE_MB) is shared between its caches of posts, by what each holds per post: the
 * JSON text of a post is about twice its row, and a media view (three variant URLs) about its row again.
 * Without such a bound in bytes, caches bounded in entries hold hours of posts and their memory is unknown.
 */
export interface CacheBudget {
  /** Post rows (lib/posts/posts.ts). */
  postRows: number;
  /** The JSON text of posts and authors (lib/posts/post-json.ts). */
  postJson: number;
  /** The in-process hydration cache: media views, avatars (lib/cache/memory.ts; Redis is bounded by its own). */
  hydration: number;
}

export function splitCacheBudget(bytes: number): CacheBudget {
  return { postRows: bytes / 4, postJson: bytes / 2, hydration: bytes / 4 };
}

/**
 * Roughly the heap a cached value holds: its strings (one byte a character, as V8 keeps most text) and a fixed
 * cost for each object, array and other value. An estimate for a bound, not an account: it need only grow with
 * what is kept.
 */
export function estimateBytes(value: unknown, depth = 0): number {
  if (typeof value === "string") return 16 + value.length;
  if (value === null || typeof value !== "object") return 8;
  let bytes = 32;
  // Cached values are JSON-like and shallow; the depth bound only keeps a mistaken cycle from hanging a node.
  if (depth >= 8 || value instanceof Date) return bytes + 16;
  const items: unknown[] = Array.isArray(value) ? value : Object.values(value);
  for (const item of items) bytes += 8 + estimateBytes(item, depth + 1);
  return bytes;
}
