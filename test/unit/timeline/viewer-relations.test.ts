import { expect } from "chai";
import { ViewerRelations } from "../../../lib/timeline/viewer-relations";

describe("ViewerRelations", () => {
  let clock = 0;
  let changes = 0;
  let asked = 0;
  const graph = { changesOf: () => Promise.resolve(changes) };
  const ask = (answer: boolean) => () => {
    asked++;
    return Promise.resolve(answer);
  };

  beforeEach(() => {
    clock = 0;
    changes = 0;
    asked = 0;
  });

  it("keeps answers while the reader's change count stays the same, and drops them when it moves", async () => {
    const relations = new ViewerRelations(graph, () => clock);
    expect(await (await relations.of("1")).mayRead("2", ask(true))).to.equal(true);
    expect(await (await relations.of("1")).mayRead("2", ask(false))).to.equal(true);
    expect(asked).to.equal(1);
    changes = 1; // an unfollow, say
    expect(await (await relations.of("1")).mayRead("2", ask(false))).to.equal(false);
    expect(asked).to.equal(2);
  });

  it("keeps each reader's answers apart, and follows-back apart from verdicts", async () => {
    const relations = new ViewerRelations(graph, () => clock);
    await (await relations.of("1")).mayRead("2", ask(true));
    expect(await (await relations.of("3")).mayRead("2", ask(false))).to.equal(false);
    expect(await (await relations.of("1")).followedBy("2", ask(false))).to.equal(false);
    expect(asked).to.equal(3);
  });

  it("asks again after a minute even when nothing moved (a change whose count failed to move)", async () => {
    const relations = new ViewerRelations(graph, () => clock);
    await (await relations.of("1")).mayRead("2", ask(true));
    clock = 60_001;
    expect(await (await relations.of("1")).mayRead("2", ask(false))).to.equal(false);
  });

  it("keeps the followed celebrities for one list of celebrities only", async () => {
    const relations = new ViewerRelations(graph, () => clock);
    const list = ["7", "8"];
    let walks = 0;
    const walk = () => {
      walks++;
      return Promise.resolve({ ids: ["7"], checked: true });
    };
    await (await relations.of("1")).followedCelebrities(list, walk);
    await (await relations.of("1")).followedCelebrities(list, walk);
    expect(walks).to.equal(1);
    await (await relations.of("1")).followedCelebrities(["7", "8", "9"], walk);
    expect(walks).to.equal(2);
  });

  it("forgets everything when ownership moves", async () => {
    const relations = new ViewerRelations(graph, () => clock);
    await (await relations.of("1")).mayRead("2", ask(true));
    relations.forgetAll();
    expect(relations.size).to.equal(0);
  });
});
