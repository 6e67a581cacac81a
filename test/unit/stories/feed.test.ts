import { expect } from "chai";
import type { AnyTable, PartitionKey } from "../../../lib/store/schema";
import type { SliceOptions } from "../../../lib/store/store";
import { stories as storiesTable } from "../../../lib/stories";
import { HOUR, StoriesFixture, type User } from "./fixture";

describe("Stories feed", function () {
  this.timeout(60_000);
  let f: StoriesFixture;

  beforeEach(async () => {
    f = new StoriesFixture();
    await f.start();
  });
  afterEach(async () => {
    await f.stop();
  });

  const feedOf = async (who: User) =>
    (await f.stories.feed(who.id)).items.map((g) => ({
      user: g.user.username,
      stories: g.stories.map((s) => s.id),
      allSeen: g.allSeen,
    }));

  it("puts the caller's own stories first, then unseen groups, then seen ones, stories oldest first", async () => {
    const [me, seen, partly, unseenOld, unseenNew, quiet, stranger] = [
      await f.user(),
      await f.user(),
      await f.user(),
      await f.user(),
      await f.user(),
      await f.user(),
      await f.user(),
    ];
    for (const u of [seen, partly, unseenOld, unseenNew, quiet]) await f.follow(me, u);
    const old1 = await f.story(unseenOld);
    const old2 = await f.story(unseenOld);
    const part1 = await f.story(partly);
    const part2 = await f.story(partly);
    const newest = await f.story(unseenNew);
    await f.story(stranger);
    const mine = await f.story(me);
    // The most recent story of all, but seen: it still goes after every unseen group.
    const seenStory = await f.story(seen);
    await f.stories.view(me.id, seenStory);
    await f.stories.view(me.id, part1);

    expect(await feedOf(me)).to.deep.equal([
      { user: me.username, stories: [mine], allSeen: false },
      { user: unseenNew.username, stories: [newest], allSeen: false },
      { user: partly.username, stories: [part1, part2], allSeen: false },
      { user: unseenOld.username, stories: [old1, old2], allSeen: false },
      { user: seen.username, stories: [seenStory], allSeen: true },
    ]);
    const [ownGroup] = (await f.stories.feed(me.id)).items;
    expect(ownGroup?.stories[0]?.author.id).to.equal(me.id);

    await f.stories.view(me.id, part2);
    expect((await feedOf(me)).map((g) => [g.user, g.allSeen])).to.deep.equal([
      [me.username, false],
      [unseenNew.username, false],
      [unseenOld.username, false],
      [seen.username, true],
      [partly.username, true],
    ]);
  });

  it("shows a private account's stories to approved followers only, and none across a block", async () => {
    const [me, approved, pending, blocker, unfollowed] = [
      await f.user(),
      await f.user({ isPrivate: true }),
      await f.user({ isPrivate: true }),
      await f.user(),
      await f.user(),
    ];
    for (const u of [approved, pending, blocker, unfollowed]) await f.follow(me, u);
    await f.graph.approve(approved.id, me.id);
    for (const u of [approved, pending, blocker, unfollowed]) await f.story(u);
    await f.graph.block(blocker.id, me.id);
    await f.graph.unfollow(me.id, unfollowed.id);
    expect((await feedOf(me)).map((g) => g.user)).to.deep.equal([approved.username]);
  });

  it("drops expired stories and the groups left empty", async () => {
    const [me, early, late] = [await f.user(), await f.user(), await f.user()];
    await f.follow(me, early);
    await f.follow(me, late);
    const gone = await f.story(early);
    const mine = await f.story(me);
    f.clock.advance(12 * HOUR);
    const kept = await f.story(late);
    const keptToo = await f.story(early);
    f.clock.advance(12 * HOUR - 1000);
    expect((await feedOf(me)).map((g) => g.stories)).to.deep.equal([[keptToo], [kept]]);
    expect(gone).to.not.equal(keptToo);
    expect(mine).to.not.equal(kept);
  });

  it("walks at most the 1,000 most recent follows, reading their stories in parallel batches", async () => {
    const me = await f.user();
    const oldest = await f.user();
    await f.follow(me, oldest);
    await f.story(oldest);
    // Accounts that post nothing: only the follow rows are needed for the walk.
    const followees: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const id = await f.ids.next();
      followees.push(id);
      await f.graph.follow(me.id, { id, isPrivate: false });
    }

    const original = f.store.slice.bind(f.store);
    const storyReads: number[] = [];
    let inFlight = 0;
    let peak = 0;
    f.store.slice = async <T extends AnyTable>(
      table: T,
      partition: PartitionKey<T>,
      options?: SliceOptions<T>,
    ) => {
      if (table.name !== storiesTable.name) return original(table, partition, options);
      storyReads.push(1);
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        return await original(table, partition, options);
      } finally {
        inFlight--;
      }
    };

    expect(await feedOf(me)).to.deep.equal([]);
    // Its own partition and the 1,000 newest follows', the oldest follow left out.
    expect(storyReads).to.have.length(1001);
    expect(peak).to.be.greaterThan(1).and.at.most(51);

    await f.graph.unfollow(me.id, followees[0] ?? "");
    expect((await feedOf(me)).map((g) => g.user)).to.deep.equal([oldest.username]);
  });
});
