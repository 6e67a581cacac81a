import { expect } from "chai";
import { scorePost } from "../../../lib/ranking";
import { SnowflakeGenerator } from "../../../lib/ids";

describe("the ranked feed's score", () => {
  const now = Date.now();
  const idAt = (msAgo: number) =>
    new SnowflakeGenerator({ workerId: 1, now: () => now - msAgo }).nextSync() ?? "";
  const base = { likes: 0, comments: 0, saves: 0, shares: 0, affinity: 0 };

  it("halves recency every 12 hours", () => {
    const fresh = scorePost({ ...base, postId: idAt(0) }, now);
    const older = scorePost({ ...base, postId: idAt(12 * 3_600_000) }, now);
    expect(fresh.recency).to.be.closeTo(1, 0.001);
    expect(older.recency).to.be.closeTo(0.5, 0.001);
  });

  it("weighs comments, saves and shares above likes, per hour of the post's life", () => {
    const postId = idAt(3_600_000);
    const liked = scorePost({ ...base, postId, likes: 3 }, now).engagement;
    const commented = scorePost({ ...base, postId, comments: 3 }, now).engagement;
    const saved = scorePost({ ...base, postId, saves: 3 }, now).engagement;
    expect(commented).to.be.greaterThan(liked);
    expect(saved).to.be.greaterThan(commented);
    const sameLaterInLife = scorePost({ ...base, postId: idAt(48 * 3_600_000), likes: 3 }, now).engagement;
    expect(sameLaterInLife, "velocity, not a total").to.be.lessThan(liked);
  });

  it("adds the reader's affinity with the author, and sums its terms", () => {
    const postId = idAt(0);
    const none = scorePost({ ...base, postId }, now);
    const friend = scorePost({ ...base, postId, affinity: 10 }, now);
    expect(none.affinity).to.equal(0);
    expect(friend.affinity).to.be.greaterThan(0);
    expect(friend.total).to.be.closeTo(friend.recency + friend.engagement + friend.affinity, 0.001);
  });
});
