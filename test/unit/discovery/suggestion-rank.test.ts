import { expect } from "chai";
import { rankSuggestions } from "../../../lib/discovery/suggestion-rank";
import { Suggestions } from "../../../lib/discovery/suggestions";
import type { UserView } from "../../../lib/accounts/user-view";
import { plainUserView } from "../../support/user-views";

const user = (id: string): UserView => plainUserView(id);

describe("suggested accounts", () => {
  it("ranks by how many followed accounts follow each, then by id, without the excluded", () => {
    const ranked = rankSuggestions(
      [
        ["30", "20", "10", "99"],
        ["30", "20", "20"],
        ["30", "11", "98"],
      ],
      new Set(["99", "98"]),
      10,
    );
    expect(ranked).to.deep.equal([
      { userId: "30", mutuals: 3 },
      { userId: "20", mutuals: 2 },
      { userId: "10", mutuals: 1 },
      { userId: "11", mutuals: 1 },
    ]);
    expect(rankSuggestions([["3", "2", "1"]], new Set(), 2).map((s) => s.userId)).to.deep.equal(["1", "2"]);
  });

  it("walks at most 200 followed accounts and 200 follows of each, and keeps the ranking a minute", async () => {
    const asked: { userId: string; max: number }[] = [];
    let clock = 1_000_000;
    const following = Array.from({ length: 500 }, (_, i) => String(1000 + i));
    const suggestions = new Suggestions({
      now: () => clock,
      follows: {
        followingIds: (userId, max) => {
          asked.push({ userId, max });
          return Promise.resolve(userId === "1" ? following.slice(0, max) : ["7", "8"]);
        },
      },
      blocks: { blockedEitherWayIds: () => Promise.resolve(["8"]) },
      users: {
        view: (_viewer, userId) => Promise.resolve(user(userId)),
      },
    });
    const page = await suggestions.page("1", { limit: 10 });
    expect(page.items.map((u) => u.id)).to.deep.equal(["7"]);
    const walked = asked.filter((a) => a.userId !== "1");
    expect(walked).to.have.length(200);
    expect(walked.every((a) => a.max === 200)).to.equal(true);
    await suggestions.page("1", { limit: 10 });
    expect(asked).to.have.length(201, "kept");
    clock += 61_000;
    await suggestions.page("1", { limit: 10 });
    expect(asked).to.have.length(402, "walked again after a minute");
  });
});
