import { expect } from "chai";
import { postCounts, postLikers } from "../../../lib/interactions/tables";
import { createWorld, everything, rejectionOf, type World } from "./fixture";

describe("Interactions: likes", function () {
  this.timeout(30_000);
  let w: World;

  beforeEach(async () => {
    w = await createWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  /** The stored counter itself: views never show below zero, so they would hide a double decrement. */
  const rawLikes = async (postId: string) => (await w.store.get(postCounts, { post_id: postId }))?.likes ?? 0;
  const likerIds = (viewerId: string, postId: string, limit = 100) =>
    everything((cursor) => w.interactions.likers(viewerId, postId, { limit, cursor })).then((users) =>
      users.map((u) => u.id),
    );

  it("counts 200 concurrent likes from 200 users exactly, and lists each liker once", async () => {
    const author = await w.user();
    const post = await w.post(author.id);
    const fans = await Promise.all(Array.from({ length: 200 }, () => w.user()));
    const answers = await Promise.all(fans.map((fan) => w.interactions.like(fan.id, post.id)));
    expect(answers.every((a) => a.liked)).to.equal(true);
    expect(await rawLikes(post.id)).to.equal(200);
    expect((await w.posts.get(author.id, post.id)).likeCount).to.equal(200);
    const listed = await likerIds(author.id, post.id, 37);
    expect(listed).to.have.length(200);
    expect(new Set(listed)).to.deep.equal(new Set(fans.map((f) => f.id)));
    expect(w.notifier.sent.filter((n) => n.type === "like")).to.have.length(200);
  });

  it("is idempotent: liking twice counts and notifies once, unliking twice uncounts once", async () => {
    const [author, fan] = [await w.user(), await w.user()];
    const post = await w.post(author.id);
    expect(await w.interactions.like(fan.id, post.id)).to.deep.equal({ liked: true, likeCount: 1 });
    expect(await w.interactions.like(fan.id, post.id)).to.deep.equal({ liked: true, likeCount: 1 });
    expect(await likerIds(author.id, post.id)).to.deep.equal([fan.id]);
    expect(w.notifier.sent).to.deep.equal([
      { recipientId: author.id, type: "like", actorId: fan.id, postId: post.id },
    ]);
    expect(await w.interactions.unlike(fan.id, post.id)).to.deep.equal({ liked: false, likeCount: 0 });
    expect(await w.interactions.unlike(fan.id, post.id)).to.deep.equal({ liked: false, likeCount: 0 });
    expect(await rawLikes(post.id)).to.equal(0);
    expect(await likerIds(author.id, post.id)).to.deep.equal([]);
    expect((await postLikers.walk(w.store, post.id, { limit: 1000 })).rows).to.deep.equal([]);
  });

  it("stays exact under one user's concurrent likes and unlikes", async () => {
    const [author, fan, other] = [await w.user(), await w.user(), await w.user()];
    const post = await w.post(author.id);
    await w.interactions.like(other.id, post.id);
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 === 0 ? w.interactions.like(fan.id, post.id) : w.interactions.unlike(fan.id, post.id),
        ),
      );
      const liked = (await w.posts.get(fan.id, post.id)).likedByMe;
      expect(await rawLikes(post.id)).to.equal(liked ? 2 : 1);
      expect((await likerIds(author.id, post.id)).sort()).to.deep.equal(
        (liked ? [fan.id, other.id] : [other.id]).sort(),
      );
    }
  });

  it("uncounts a like once when two nodes unlike it at the same moment", async () => {
    const [author, fan] = [await w.user(), await w.user()];
    const post = await w.post(author.id);
    const nodes = [w.interactions, w.otherNode(), w.otherNode()];
    for (let round = 0; round < 10; round++) {
      await w.interactions.like(fan.id, post.id);
      await Promise.all(nodes.map((node) => node.unlike(fan.id, post.id)));
      expect(await rawLikes(post.id)).to.equal(0);
    }
    // A like after all those unlikes is a new one, and counts.
    expect((await w.otherNode().like(fan.id, post.id)).likeCount).to.equal(1);
  });

  it("lists likers newest first, and a page cursor neither repeats nor skips while likes arrive", async () => {
    const author = await w.user();
    const post = await w.post(author.id);
    const early = await Promise.all(Array.from({ length: 5 }, () => w.user()));
    for (const fan of early) await w.interactions.like(fan.id, post.id);
    const first = await w.interactions.likers(author.id, post.id, { limit: 2 });
    expect(first.items.map((u) => u.id)).to.deep.equal([early[4]!.id, early[3]!.id]);
    const late = await w.user();
    await w.interactions.like(late.id, post.id);
    const rest = await everything((cursor) =>
      w.interactions.likers(author.id, post.id, { limit: 2, cursor: cursor ?? first.nextCursor! }),
    );
    expect(rest.map((u) => u.id)).to.deep.equal([early[2]!.id, early[1]!.id, early[0]!.id]);
    expect((await w.interactions.likers(author.id, post.id, { limit: 1 })).items[0]?.id).to.equal(late.id);
  });

  it("answers 404 for a post the caller may not see, and 400 for a cursor that is not ours", async () => {
    const [owner, stranger, blocked] = [await w.user({ isPrivate: true }), await w.user(), await w.user()];
    const hidden = await w.post(owner.id);
    expect((await rejectionOf(w.interactions.like(stranger.id, hidden.id))).status).to.equal(404);
    expect((await rejectionOf(w.interactions.likers(stranger.id, hidden.id, { limit: 5 }))).status).to.equal(
      404,
    );
    expect((await rejectionOf(w.interactions.like(stranger.id, "123456789"))).status).to.equal(404);
    const open = await w.post(stranger.id);
    await w.graph.block(stranger.id, blocked.id);
    expect((await rejectionOf(w.interactions.like(blocked.id, open.id))).status).to.equal(404);
    expect(await rawLikes(hidden.id)).to.equal(0);
    const bad = await rejectionOf(w.interactions.likers(stranger.id, open.id, { limit: 5, cursor: "abc" }));
    expect(bad.code).to.equal("INVALID_CURSOR");
  });

  it("hides likers blocked either way from the viewer, and sends no notification for liking your own post", async () => {
    const [author, fan, viewer] = [await w.user(), await w.user(), await w.user()];
    const post = await w.post(author.id);
    await w.interactions.like(author.id, post.id);
    await w.interactions.like(fan.id, post.id);
    await w.graph.block(fan.id, viewer.id);
    expect(await likerIds(viewer.id, post.id)).to.deep.equal([author.id]);
    expect(w.notifier.sent.map((n) => n.actorId)).to.deep.equal([fan.id]);
  });

  it("keeps the like when the notifier fails", async () => {
    const [author, fan] = [await w.user(), await w.user()];
    const post = await w.post(author.id);
    w.notifier.failing = true;
    expect(await w.interactions.like(fan.id, post.id)).to.deep.equal({ liked: true, likeCount: 1 });
    expect((await w.posts.get(fan.id, post.id)).likedByMe).to.equal(true);
  });
});
