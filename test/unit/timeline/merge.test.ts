import { expect } from "chai";
import { mergeNewestFirst } from "../../../lib/timeline/merge";

const e = (postId: string, from: string) => ({ postId, from });

describe("mergeNewestFirst", () => {
  it("merges newest first by numeric id, not by text, up to the limit", () => {
    const merged = mergeNewestFirst(
      [
        [e("100", "a"), e("9", "a")],
        [e("99", "b"), e("10", "b")],
      ],
      3,
    );
    expect(merged.map((m) => m.postId)).to.deep.equal(["100", "99", "10"]);
  });

  it("keeps a post once, from the first list that holds it", () => {
    const merged = mergeNewestFirst(
      [
        [e("30", "own"), e("20", "own")],
        [e("30", "pulled"), e("25", "pulled")],
        [e("30", "pulled2"), e("20", "pulled2")],
      ],
      10,
    );
    expect(merged).to.deep.equal([e("30", "own"), e("25", "pulled"), e("20", "own")]);
  });

  it("stops when every list is spent, and takes empty lists", () => {
    expect(mergeNewestFirst([[], [e("5", "a")], []], 10)).to.deep.equal([e("5", "a")]);
    expect(mergeNewestFirst([], 10)).to.deep.equal([]);
  });
});
