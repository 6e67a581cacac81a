import { expect } from "chai";
import { MemoryCache } from "../../../lib/cache/memory";
import { describeCacheContract } from "./contract";

describeCacheContract("MemoryCache", () => new MemoryCache());

describe("MemoryCache bounds", () => {
  it("keeps at most maxEntries, dropping the least recently used", async () => {
    const cache = new MemoryCache({ maxEntries: 2 });
    await cache.set("media:1", 1, 10_000);
    await cache.set("media:2", 2, 10_000);
    await cache.getMany(["media:1"]);
    await cache.set("media:3", 3, 10_000);
    expect(await cache.getMany(["media:1", "media:2", "media:3"])).to.deep.equal([1, undefined, 3]);
  });

  it("keeps at most maxBytes of estimated size, dropping the least recently used", async () => {
    const view = (n: number) => ({ id: `m${n}`, url: "https://media.example/" + "x".repeat(200) });
    const cache = new MemoryCache({ maxBytes: 1_000 });
    for (let n = 0; n < 20; n++) await cache.set(`media:${n}`, view(n), 10_000);
    expect(cache.sizeInBytes).to.be.within(1, 1_000);
    const kept = await cache.getMany(Array.from({ length: 20 }, (_, n) => `media:${n}` as const));
    expect(kept.filter((value) => value !== undefined).length).to.be.within(2, 4);
    expect(kept[19]).to.deep.equal(view(19)); // the newest stays
  });
});
