import { expect } from "chai";
import { RedisCache } from "../../lib/cache/redis";
import { RedisConnection } from "../../lib/redis/connection";
import { describeCacheContract } from "../unit/cache/contract";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

describeCacheContract("RedisCache", () => {
  const connection = new RedisConnection(REDIS_URL);
  const cache = new RedisCache(connection, `mosaic-test-${process.pid}:`);
  return {
    getMany: (keys) => cache.getMany(keys),
    set: (key, value, ttlMs) => cache.set(key, value, ttlMs),
    delete: (key) => cache.delete(key),
    close: () => connection.close(),
  };
});

describe("RedisCache when Redis is down", () => {
  it("misses instead of failing, and without waiting once the breaker is open", async () => {
    const connection = new RedisConnection("redis://127.0.0.1:1", { log: () => undefined });
    const cache = new RedisCache(connection);
    try {
      const started = Date.now();
      await cache.set("media:1", 1, 10_000);
      expect(await cache.getMany(["media:1"])).to.deep.equal([undefined]);
      expect(Date.now() - started).to.be.below(500);
      const again = Date.now();
      for (let i = 0; i < 20; i++) expect(await cache.getMany(["media:1"])).to.deep.equal([undefined]);
      expect(Date.now() - again).to.be.below(100);
    } finally {
      await connection.close();
    }
  });
});
