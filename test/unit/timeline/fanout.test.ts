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
});
