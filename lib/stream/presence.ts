import { cacheKeys, type Cache } from "../cache/cache";

/**
 * Whether a user has an event stream open on some gateway, in the shared cache (Redis in a cluster): a gateway
 * marks a user seen when a stream opens and at each heartbeat, for three heartbeats, and forgets them when its
 * last stream of theirs closes. The inbox asks before a Web Push, so a user in the app is not pushed what the app
 * shows. Without a shared cache in a cluster each node knows only its own streams, and a user may be pushed too.
 */
export class StreamPresence {
  constructor(
    private readonly cache: Cache,
    private readonly ttlMs: number,
  ) {}

  async seen(userId: string): Promise<void> {
    await this.cache.set(cacheKeys.stream(userId), 1, this.ttlMs);
  }

  async gone(userId: string): Promise<void> {
    await this.cache.delete(cacheKeys.stream(userId));
  }

  async online(userId: string): Promise<boolean> {
    const [found] = await this.cache.getMany([cacheKeys.stream(userId)]);
    return found !== undefined;
  }
}
