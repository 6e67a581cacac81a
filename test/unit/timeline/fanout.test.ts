import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { accountTables } from "../../../lib/accounts/tables";
import { SnowflakeGenerator } from "../../../lib/ids";
import { LevelStore } from "../../../lib/store/level";
import { Fanout } from "../../../lib/timeline/fanout";
import { timelineTables } from "../../../lib/timeline/tables";

describe("Fanout and audiences", () => {
  let dir: string;
  let store: LevelStore;
  const ids = new SnowflakeGenerator({ workerId: 915 });
  const author = "800";
  /** 801–804 follow the author; the close-friends list names 802, 804 and 809, who does not follow. */
  const followers = ["801", "802", "803", "804"];
  const friends = ["802", "804", "809"];
  let delivered: string[][];
  let fanout: Fanout;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-fanout-"));
    store = new LevelStore({ path: path.join(dir, "db") });
    await store.open([...accountTables, ...timelineTables]);
    delivered = [];
    fanout = new Fanout({
      store,
      graph: {
        followerIdsPage: () => Promise.resolve({ ids: followers, nextPageToken: null }),
        isFollowing: (followerId, followeeId) =>
          Promise.resolve(followeeId === author && followers.includes(followerId)),
      },
      closeFriends: { ids: () => Promise.resolve(friends) },
      deliver: (userIds) => {
        delivered.push([...userIds]);
        return Promise.resolve();
      },
      celebrityThreshold: 1000,
      holder: "fanout-test",
    });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers a close friends' post to the author and their close friends who follow them, no one else", async () => {
    const job = { postId: await ids.next(), authorId: author, audience: "close_friends" as const };
    await fanout.record(job);
    // Resumed from its row, as after a crash: the row, not the call, carries the audience.
    expect(await fanout.run({ postId: job.postId, authorId: author })).to.equal(true);
    expect(delivered).to.deep.equal([[author], ["802", "804"]]);
    expect(await fanout.pending(0)).to.deep.equal([]);
  });

  it("delivers everyone's post to every follower", async () => {
    const job = { postId: await ids.next(), authorId: author };
    await fanout.record(job);
    expect(await fanout.run(job)).to.equal(true);
    expect(delivered).to.deep.equal([[author], followers]);
  });

  describe("over pages", () => {
    /** 25 followers, "900" to "924", in pages of 4. */
    const many = Array.from({ length: 25 }, (_, i) => String(900 + i));
    let failOnPage: number | undefined;
    let pagesDelivered: number;

    beforeEach(() => {
      failOnPage = undefined;
      pagesDelivered = 0;
      fanout = new Fanout({
        store,
        graph: {
          followerIdsPage: (_authorId, cursor) => {
            const from = cursor === undefined ? 0 : Number(cursor);
            const next = from + 4 < many.length ? String(from + 4) : null;
            return Promise.resolve({ ids: many.slice(from, from + 4), nextPageToken: next });
          },
          isFollowing: () => Promise.resolve(true),
        },
        closeFriends: { ids: () => Promise.resolve([]) },
        deliver: async (userIds) => {
          if (userIds.length > 1 && pagesDelivered++ === failOnPage) throw new Error("the owner died");
          await new Promise((r) => setImmediate(r));
          delivered.push([...userIds]);
        },
        celebrityThreshold: 1000,
        holder: "fanout-test",
        pageSize: 4,
      });
    });

    it("delivers every page once, in order, and removes the job", async () => {
      const job = { postId: await ids.next(), authorId: author };
      await fanout.record(job);
      expect(await fanout.run(job)).to.equal(true);
      expect(delivered.slice(1).flat()).to.deep.equal(many);
      expect(await fanout.pending(0)).to.deep.equal([]);
    });

    it("resumed after a page failed, reaches every follower without skipping one", async () => {
      const job = { postId: await ids.next(), authorId: author };
      await fanout.record(job);
      failOnPage = 4;
      let failure: unknown;
      await fanout.run(job).catch((err: unknown) => (failure = err));
      expect(String(failure)).to.contain("the owner died");
      expect(delivered.slice(1).flat()).to.deep.equal(many.slice(0, 16));
      // The saved progress never passes a page that was not written.
      const [pending] = await fanout.pending(0);
      expect(pending?.postId).to.equal(job.postId);

      failOnPage = undefined;
      const before = delivered.length;
      expect(await fanout.run(job)).to.equal(true);
      // From the page that failed: none skipped, none of those written before it again.
      expect(delivered.slice(before).flat()).to.deep.equal(many.slice(16));
      expect(await fanout.pending(0)).to.deep.equal([]);
    });
  });
});
