import { expect } from "chai";
import { LruMap } from "../../../lib/concurrency/lru-map";

describe("LruMap", () => {
  it("forgets the least recently used past its capacity, a read counting as a use", () => {
    const map = new LruMap<string, number>(2);
    map.set("a", 1);
    map.set("b", 2);
    expect(map.get("a")).to.equal(1); // a is now the most recent
    map.set("c", 3);
    expect([...map].map(([k]) => k)).to.deep.equal(["a", "c"]);
    expect(map.size).to.equal(2);
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
