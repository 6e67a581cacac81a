/**
 * A small cache port for hydration: values are JSON-serialisable and every entry has a time to live. The
 * in-process adapter serves one node (embedded mode); the Redis adapter is shared by every node of a cluster,
 * so an invalidation on one node is seen by all.
 */
export interface Cache {
  getMany<T>(keys: readonly CacheKey[]): Promise<(T | undefined)[]>;
  set(key: CacheKey, value: unknown, ttlMs: number): Promise<void>;
  delete(key: CacheKey): Promise<void>;
  close(): Promise<void>;
}

/** Every cache key, in one place. */
export type CacheKey =
  `post:${string}` | `media:${string}` | `user:${string}` | `avatar:${string}` | `stream:${string}`;

export const cacheKeys = {
  post: (postId: string): CacheKey => `post:${postId}`,
  media: (mediaId: string): CacheKey => `media:${mediaId}`,
  user: (userId: string): CacheKey => `user:${userId}`,
  /** An avatar's URL as a profile shows it: by owner, image and privacy (plain when public, else signed). */
  avatar: (userId: string, mediaId: string, isPrivate: boolean): CacheKey =>
    `avatar:${userId}:${mediaId}:${isPrivate ? "private" : "public"}`,
  /** Present while the user has a stream open on some gateway (lib/stream/presence.ts). */
  stream: (userId: string): CacheKey => `stream:${userId}`,
} as const;
