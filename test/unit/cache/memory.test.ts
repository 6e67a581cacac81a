import { expect } from "chai";
import { MemoryCache } from "../../../lib/cache/memory";
import { describeCacheContract } from "./contract";

describeCacheContract("MemoryCache", () => new MemoryCache());

describe("MemoryCache bounds", () => {
  it("keeps at most maxEntries, dropping the least recently used", async () => {
    const cache = new MemoryCache(2);
    await cache.set("media:1", 1, 10_000);
    await cache.set("media:2", 2, 10_000);
    await cache.getMany(["media:1"]);
    await cache.set("media:3", 3, 10_000);
    expect(await cache.getMany(["media:1", "media:2", "media:3"])).to.deep.equal([1, undefined, 3]);
  });
});
