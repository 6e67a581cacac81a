import { expect } from "chai";
import type { EngagementEvent } from "../../../lib/discovery/engagement-log";
import {
  COMMENT_WEIGHT,
  pickCandidates,
  rankByHeat,
  type RankedPost,
} from "../../../lib/discovery/explore-rank";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 4, 1, 12, 30);
const THIS_HOUR = Date.UTC(2026, 4, 1, 12);

const events = (
  postId: string,
  n: number,
  hoursAgo: number,
  kind: "like" | "comment" = "like",
): EngagementEvent[] =>
  Array.from({ length: n }, () => ({
    postId,
    authorId: `author-of-${postId}`,
    kind,
    hour: THIS_HOUR - hoursAgo * HOUR,
  }));

describe("explore ranking", () => {
  it("ranks by likes and comments decayed with their age: fast now beats more a day ago", () => {
    const ranked = rankByHeat(
      [
        ...events("100", 50, 24),
        ...events("200", 30, 0),
        ...events("300", 10, 0, "comment"),
        ...events("400", 19, 0),
      ],
      NOW,
      6 * HOUR,
    );
    expect(ranked.map((p) => p.postId)).to.deep.equal(["200", "300", "400", "100"]);
    const [first, second] = ranked;
    // This hour's likes at full weight (the clock is at the middle of the hour), a day's at 2⁻⁴.
    expect(first?.score).to.be.closeTo(30, 1e-9);
    expect(second?.score).to.be.closeTo(10 * COMMENT_WEIGHT, 1e-9);
    expect(ranked[3]?.score).to.be.closeTo(50 / 16, 1e-9);
  });

  it("breaks ties by the newer post", () => {
    const ranked = rankByHeat(
      [...events("100", 3, 0), ...events("1000", 3, 0), ...events("999", 3, 0)],
      NOW,
      HOUR,
    );
    expect(ranked.map((p) => p.postId)).to.deep.equal(["1000", "999", "100"]);
  });

  const ranking: RankedPost[] = [
    { postId: "1", authorId: "a" },
    { postId: "2", authorId: "a" },
    { postId: "3", authorId: "me" },
    { postId: "4", authorId: "a" },
    { postId: "5", authorId: "b" },
    { postId: "6", authorId: "a" },
    { postId: "7", authorId: "c" },
  ];
  const skip = (entry: RankedPost) => entry.authorId === "me";

  it("takes at most two posts of an author on a page, passing over the rest, and says where to go on", () => {
    const round = pickCandidates(ranking, {
      from: 0,
      until: ranking.length,
      want: 4,
      skip,
      onPage: new Map(),
    });
    expect(round.picked.map((p) => p.postId)).to.deep.equal(["1", "2", "5", "7"]);
    expect(round.next).to.equal(7);
    const short = pickCandidates(ranking, {
      from: 0,
      until: ranking.length,
      want: 3,
      skip,
      onPage: new Map(),
    });
    expect(short.picked.map((p) => p.postId)).to.deep.equal(["1", "2", "5"]);
    expect(short.next, "after the last one picked").to.equal(5);
  });

  it("counts the authors already on the page, and stops at its bound", () => {
    const onPage = new Map([["a", 1]]);
    const round = pickCandidates(ranking, { from: 1, until: ranking.length, want: 5, skip, onPage });
    expect(round.picked.map((p) => p.postId)).to.deep.equal(["2", "5", "7"]);
    const bounded = pickCandidates(ranking, { from: 0, until: 3, want: 5, skip, onPage: new Map() });
    expect([bounded.picked.length, bounded.next]).to.deep.equal([2, 3]);
  });
});
