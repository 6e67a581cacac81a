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

  it("holds at most its byte bound, counting what deletes and replacements give back", () => {
    const map = new LruMap<string, string>(1_000, { max: 10, sizeOf: (text) => text.length });
    map.set("a", "aaaa");
    map.set("b", "bbbb");
    expect(map.sizeInBytes).to.equal(8);
    map.set("c", "cccc"); // 12 > 10: the oldest goes
    expect([...map].map(([k]) => k)).to.deep.equal(["b", "c"]);
    expect(map.sizeInBytes).to.equal(8);
    map.set("b", "b"); // a replacement counts its new size only
    expect(map.sizeInBytes).to.equal(5);
    map.delete("c");
    expect(map.sizeInBytes).to.equal(1);
    map.set("big", "x".repeat(11)); // alone over the bound: not kept, and it pushes nothing out
    expect(map.has("big")).to.equal(false);
    expect([...map].map(([k]) => k)).to.deep.equal(["b"]);
    expect(map.sizeInBytes).to.equal(1);
    map.clear();
    expect(map.sizeInBytes).to.equal(0);
  });

  it("keeps a used entry over one read once when the byte bound is reached", () => {
    const map = new LruMap<string, string>(1_000, { max: 8, sizeOf: (text) => text.length });
    map.set("hot", "hhhh");
    map.set("a", "aaaa");
    map.get("hot");
    map.set("b", "bbbb");
    expect([...map].map(([k]) => k).sort()).to.deep.equal(["b", "hot"]);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new LruMap(0)).to.throw(RangeError);
  });
});
