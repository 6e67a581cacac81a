import { expect } from "chai";
import { RedisCache } from "../../lib/cache/redis";
import { describeCacheContract } from "../unit/cache/contract";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

describeCacheContract("RedisCache", () => new RedisCache(REDIS_URL, `mosaic-test-${process.pid}:`));

describe("RedisCache when Redis is down", () => {
  it("misses instead of failing, quickly", async () => {
    const cache = new RedisCache("redis://127.0.0.1:1");
    const started = Date.now();
    await cache.set("media:1", 1, 10_000);
    expect(await cache.getMany(["media:1"])).to.deep.equal([undefined]);
    expect(Date.now() - started).to.be.below(3_000);
    await cache.close();
  });
});
