import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import type { Cache, CacheKey } from "../../../lib/cache/cache";

/** The behaviour every cache adapter must show (memory here, Redis in test:infra). */
export function describeCacheContract(name: string, make: () => Cache): void {
  describe(`Cache contract: ${name}`, () => {
    let cache: Cache;
    const key = (): CacheKey => `media:${randomBytes(6).toString("hex")}`;
    beforeEach(() => {
      cache = make();
    });
    afterEach(async () => {
      await cache.close();
    });

    it("gives back what was set, in the order asked, and misses as undefined", async () => {
      const [a, b, c] = [key(), key(), key()];
      await cache.set(a, { n: 1, s: "é" }, 10_000);
      await cache.set(c, [1, 2], 10_000);
      expect(await cache.getMany([a, b, c])).to.deep.equal([{ n: 1, s: "é" }, undefined, [1, 2]]);
      expect(await cache.getMany([])).to.deep.equal([]);
    });

    it("forgets an entry on delete and after its time to live", async () => {
      const [a, b] = [key(), key()];
      await cache.set(a, 1, 10_000);
      await cache.set(b, 2, 50);
      await cache.delete(a);
      await sleep(120);
      expect(await cache.getMany([a, b])).to.deep.equal([undefined, undefined]);
    });

    it("replaces a value that is set again", async () => {
      const a = key();
      await cache.set(a, "old", 10_000);
      await cache.set(a, "new", 10_000);
      expect(await cache.getMany([a])).to.deep.equal(["new"]);
    });
  });
}
