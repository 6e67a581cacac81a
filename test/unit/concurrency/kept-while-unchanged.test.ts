import { expect } from "chai";
import { KeptWhileUnchanged, setBounded } from "../../../lib/concurrency/kept-while-unchanged";

describe("KeptWhileUnchanged", () => {
  it("keeps a key's state while its change count and age allow, and starts afresh otherwise", () => {
    let clock = 0;
    let made = 0;
    const kept = new KeptWhileUnchanged(
      10,
      1_000,
      () => ({ n: ++made }),
      () => clock,
    );
    const first = kept.of("a", 3);
    expect(kept.of("a", 3)).to.equal(first);
    expect(kept.of("b", 3)).to.not.equal(first);
    expect(kept.of("a", 4)).to.not.equal(first);
    const second = kept.of("a", 4);
    clock = 1_000;
    expect(kept.of("a", 4)).to.not.equal(second);
    kept.clear();
    expect(kept.size).to.equal(0);
  });

  it("bounds a map by starting it again past its size, keeping an update of a key it holds", () => {
    const map = new Map([
      ["a", 1],
      ["b", 2],
    ]);
    setBounded(map, "a", 3, 2);
    expect([...map]).to.deep.equal([
      ["a", 3],
      ["b", 2],
    ]);
    setBounded(map, "c", 4, 2);
    expect([...map]).to.deep.equal([["c", 4]]);
  });
});
