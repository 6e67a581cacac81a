import { expect } from "chai";
import { postKey, posts as postRows } from "../../../lib/posts/tables";
import { postCounts } from "../../../lib/interactions/tables";
import { Engagement, COUNTS_MAX_AGE_MS } from "../../../lib/interactions/engagement";
import { createWorld, rejectionOf, type World } from "../interactions/fixture";

describe("what a node keeps of posts", () => {
  let world: World;
  before(async () => {
    world = await createWorld();
  });
  after(() => world.close());

  it("keeps a post's row once read: a second read does not go to the store", async () => {
    const author = await world.user();
    const post = await world.post(author.id, "kept");
    await world.posts.get(author.id, post.id);
    // Removed behind its back (as another node would), the row is still shown: nobody told this node.
    await world.store.delete(postRows, postKey(author.id, post.id));
    expect((await world.posts.get(author.id, post.id)).caption).to.equal("kept");
    // Told, it reads the store again and finds nothing.
    world.posts.forget(post.id);
    expect((await rejectionOf(world.posts.get(author.id, post.id)))?.code).to.equal("POST_NOT_FOUND");
  });

  it("keeps rows within its byte bound: the oldest read are read from the store again", async () => {
    const bounded = await createWorld({ keptRowBytes: 3_000 });
    try {
      const author = await bounded.user();
      const made = [];
      for (let i = 0; i < 30; i++) made.push(await bounded.post(author.id, `post ${i} ${"x".repeat(100)}`));
      for (const post of made) await bounded.posts.get(author.id, post.id);
      expect(bounded.posts.keptRowsInBytes).to.be.within(1, 3_000);
      const [oldest, newest] = [made[0], made[made.length - 1]];
      if (oldest === undefined || newest === undefined) throw new Error("no posts");
      for (const post of [oldest, newest]) await bounded.store.delete(postRows, postKey(author.id, post.id));
      expect((await rejectionOf(bounded.posts.get(author.id, oldest.id)))?.code, "not kept").to.equal(
        "POST_NOT_FOUND",
      );
      expect((await bounded.posts.get(author.id, newest.id)).id, "kept").to.equal(newest.id);
    } finally {
      await bounded.close();
    }
  });

  it("forgets a post it deletes before answering, and tells the other nodes", async () => {
    const author = await world.user();
    const post = await world.post(author.id, "gone soon");
    await world.posts.get(author.id, post.id);
    await world.posts.delete(author.id, post.id);
    expect(world.deleted).to.include(post.id);
    expect((await rejectionOf(world.posts.get(author.id, post.id)))?.code).to.equal("POST_NOT_FOUND");
    const [hydrated] = await Promise.all([
      world.posts.hydrate(author.id, [{ postId: post.id, authorId: author.id }]),
    ]);
    expect(hydrated).to.deep.equal([]);
  });

  it("shows counts changed on another node within COUNTS_MAX_AGE_MS, and its own at once", async () => {
    let now = 1_000_000;
    const engagement = new Engagement({ store: world.store, now: () => now });
    const author = await world.user();
    const post = await world.post(author.id);
    const likes = async () => (await engagement.of(author.id, [post.id])).get(post.id)?.likeCount;
    expect(await likes()).to.equal(0);
    await world.store.increment(postCounts, { post_id: post.id }, { likes: 3 });
    expect(await likes(), "kept for a moment").to.equal(0);
    now += COUNTS_MAX_AGE_MS + 1;
    expect(await likes(), "read again once too old").to.equal(3);
    await world.store.increment(postCounts, { post_id: post.id }, { likes: 1 });
    engagement.forget(post.id);
    expect(await likes(), "a change made here shows at once").to.equal(4);
  });

  it("shows a like made through this node's interactions at once in the counts", async () => {
    const author = await world.user();
    const fan = await world.user();
    const post = await world.post(author.id);
    expect((await world.posts.get(author.id, post.id)).likeCount).to.equal(0);
    await world.interactions.like(fan.id, post.id);
    expect((await world.posts.get(author.id, post.id)).likeCount).to.equal(1);
  });
});
