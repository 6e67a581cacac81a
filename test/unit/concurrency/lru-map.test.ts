import { expect } from "chai";
import { LruMap } from "../../../lib/concurrency/lru-map";

describe("LruMap", () => {
  it("forgets the least recently used past its capacity, a read counting as a use", () => {
    const map = new LruMap<string, number>(2);
    map.set("a", 1);
    map.set("b", 2);
    expect(map.get("a")).to.equal(1); // a is now the most recent
    map.set("c", 3);
    expect([...map].map(([k]) => k).sort()).to.deep.equal(["a", "c"]);
    expect(map.size).to.equal(2);
  });

  it("keeps what is read often through a stream of entries read once (the hot set of a cache)", () => {
    const map = new LruMap<string, number>(100);
    let misses = 0;
    for (let i = 0; i < 10_000; i++) {
      map.set(`once-${i}`, i);
      const hot = `hot-${i % 10}`;
      if (map.get(hot) === undefined) {
        misses++;
        map.set(hot, i % 10);
      }
    }
    // Each hot key misses once, when first read; a map forgetting in insertion order would miss it every 100 sets.
    expect(misses).to.equal(10);
    expect(map.size).to.equal(100);
  });

  it("leaves the order alone on peek, and refreshes it on a set of a known key", () => {
    const map = new LruMap<string, number>(2);
    map.set("a", 1);
    map.set("b", 2);
    expect(map.peek("a")).to.equal(1);
    map.set("c", 3);
    expect(map.has("a")).to.equal(false);
    map.set("b", 20);
    map.set("d", 4);
    expect([...map]).to.deep.equal([
      ["b", 20],
      ["d", 4],
    ]);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new LruMap(0)).to.throw(RangeError);
  });
});
