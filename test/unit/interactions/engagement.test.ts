import { expect } from "chai";
import { Engagement } from "../../../lib/interactions";
import { likes } from "../../../lib/interactions/tables";
import { createWorld, type World } from "./fixture";

describe("Engagement and posts", function () {
  this.timeout(30_000);
  let w: World;

  beforeEach(async () => {
    w = await createWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  it("tells each viewer their own likes and saves, and everyone the same counts", async () => {
    const [author, liker, saver] = [await w.user(), await w.user(), await w.user()];
    const [p, q] = [await w.post(author.id), await w.post(author.id)];
    await w.interactions.like(liker.id, p.id);
    await w.interactions.like(saver.id, p.id);
    await w.interactions.save(saver.id, p.id);
    await w.interactions.comment(liker.id, p.id, { text: "nice" });
    await w.interactions.like(liker.id, q.id);
    const engagement = new Engagement({ store: w.store });
    const ofLiker = await engagement.of(liker.id, [p.id, q.id, "424242", p.id]);
    expect(ofLiker.get(p.id)).to.deep.equal({
      likeCount: 2,
      commentCount: 1,
      likedByMe: true,
      savedByMe: false,
    });
    expect(ofLiker.get(q.id)).to.deep.equal({
      likeCount: 1,
      commentCount: 0,
      likedByMe: true,
      savedByMe: false,
    });
    expect(ofLiker.get("424242")).to.deep.equal({
      likeCount: 0,
      commentCount: 0,
      likedByMe: false,
      savedByMe: false,
    });
    expect((await engagement.of(saver.id, [p.id])).get(p.id)).to.deep.include({
      likedByMe: true,
      savedByMe: true,
    });
    expect((await engagement.of(author.id, [p.id])).get(p.id)).to.deep.include({
      likedByMe: false,
      savedByMe: false,
    });
  });

  it("keeps a viewer's likes and saves between answers, and shows their own like or save at once", async () => {
    const [author, fan] = [await w.user(), await w.user()];
    const p = await w.post(author.id);
    const engagement = new Engagement({ store: w.store });
    expect((await engagement.of(fan.id, [p.id])).get(p.id)).to.deep.include({ likedByMe: false });
    // Kept: a like row written behind the graph's back (no mark count bumped) does not show...
    await w.store.insertIfAbsent(likes, {
      user_id: fan.id,
      post_id: p.id,
      like_id: "1",
      liked_at: new Date(),
    });
    expect((await engagement.of(fan.id, [p.id])).get(p.id)).to.deep.include({ likedByMe: false });
    await w.store.deleteIf(likes, { user_id: fan.id, post_id: p.id }, { like_id: "1" });
    // ...while likes and saves made through Interactions, on any node, show on the next answer.
    const other = w.otherNode();
    await other.like(fan.id, p.id);
    expect((await engagement.of(fan.id, [p.id])).get(p.id)).to.deep.include({ likedByMe: true });
    await other.save(fan.id, p.id);
    expect((await engagement.of(fan.id, [p.id])).get(p.id)).to.deep.include({
      likedByMe: true,
      savedByMe: true,
    });
    await other.unlike(fan.id, p.id);
    await other.unsave(fan.id, p.id);
    expect((await engagement.of(fan.id, [p.id])).get(p.id)).to.deep.include({
      likedByMe: false,
      savedByMe: false,
    });
  });

  it("puts engagement on every post answer, asking once per answer", async () => {
    const [author, fan] = [await w.user(), await w.user()];
    const made = [];
    for (let i = 0; i < 4; i++) made.push(await w.post(author.id));
    await w.interactions.like(fan.id, made[1]!.id);
    await w.interactions.save(fan.id, made[2]!.id);

    w.engagement.calls.length = 0;
    const list = await w.posts.listByAuthor(fan.id, author.id, { limit: 10 });
    expect(w.engagement.calls).to.have.length(1);
    expect(list.items.map((p) => [p.likedByMe, p.savedByMe, p.likeCount])).to.deep.equal([
      [false, false, 0],
      [false, true, 0],
      [true, false, 1],
      [false, false, 0],
    ]);

    w.engagement.calls.length = 0;
    const hydrated = await w.posts.hydrate(
      fan.id,
      made.map((p) => ({ postId: p.id, authorId: author.id })),
    );
    expect(w.engagement.calls).to.have.length(1);
    expect(hydrated.map((p) => p.likedByMe)).to.deep.equal([false, true, false, false]);

    w.engagement.calls.length = 0;
    expect((await w.posts.get(fan.id, made[1]!.id)).likeCount).to.equal(1);
    expect(w.engagement.calls).to.deep.equal([[made[1]!.id]]);
  });

  it("tells users mentioned in a caption who may see the post, never the author", async () => {
    const [author, friend, outsider] = [await w.user({ isPrivate: true }), await w.user(), await w.user()];
    await w.graph.follow(friend.id, { id: author.id, isPrivate: true });
    await w.graph.approve(author.id, friend.id);
    const post = await w.post(
      author.id,
      `with @${friend.username} and @${outsider.username}, @nobody_at_all and @${author.username}`,
    );
    expect(post.mentions).to.have.members([friend.username, outsider.username, author.username]);
    expect(w.notifier.sent).to.deep.equal([
      { recipientId: friend.id, type: "mention", actorId: author.id, postId: post.id },
    ]);
  });

  it("creates the post even when the notifier fails", async () => {
    const [author, friend] = [await w.user(), await w.user()];
    w.notifier.failing = true;
    const post = await w.post(author.id, `hi @${friend.username}`);
    expect((await w.posts.get(friend.id, post.id)).mentions).to.deep.equal([friend.username]);
  });
});
