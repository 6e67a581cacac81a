import { expect } from "chai";
import { commentParams } from "../../../lib/interactions/params";
import { postCounts } from "../../../lib/interactions/tables";
import { createWorld, everything, rejectionOf, type World } from "./fixture";

describe("Interactions: comments", function () {
  this.timeout(30_000);
  let w: World;

  beforeEach(async () => {
    w = await createWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  const rawComments = async (postId: string) =>
    (await w.store.get(postCounts, { post_id: postId }))?.comments ?? 0;
  const allComments = (viewerId: string, postId: string, limit = 100) =>
    everything((cursor) => w.interactions.listComments(viewerId, postId, { limit, cursor }));

  it("answers the comment object, counts it, and lists comments oldest first across pages", async () => {
    const [author, fan] = [await w.user(), await w.user()];
    const post = await w.post(author.id);
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await w.interactions.comment(fan.id, post.id, { text: `c${i}` }));
    expect(made[0]).to.deep.include({ postId: post.id, text: "c0", replyToId: null });
    expect(made[0]?.author.id).to.equal(fan.id);
    expect(Date.parse(made[0]!.createdAt)).to.be.a("number").and.not.NaN;
    const first = await w.interactions.listComments(author.id, post.id, { limit: 3 });
    expect(first.items.map((c) => c.text)).to.deep.equal(["c0", "c1", "c2"]);
    const later = await w.interactions.comment(author.id, post.id, { text: "late" });
    const rest = await everything((cursor) =>
      w.interactions.listComments(author.id, post.id, { limit: 3, cursor: cursor ?? first.nextCursor! }),
    );
    expect(rest.map((c) => c.id)).to.deep.equal([...made.slice(3).map((c) => c.id), later.id]);
    expect(await rawComments(post.id)).to.equal(8);
    expect((await w.posts.get(fan.id, post.id)).commentCount).to.equal(8);
  });

  it("counts 100 concurrent comments exactly", async () => {
    const author = await w.user();
    const post = await w.post(author.id);
    const fans = await Promise.all(Array.from({ length: 20 }, () => w.user()));
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        w.interactions.comment(fans[i % 20]!.id, post.id, { text: `${i}` }),
      ),
    );
    expect(await rawComments(post.id)).to.equal(100);
    expect(await allComments(author.id, post.id, 30)).to.have.length(100);
  });

  it("takes a reply only to a comment of the same post", async () => {
    const [author, fan] = [await w.user(), await w.user()];
    const [post, other] = [await w.post(author.id), await w.post(author.id)];
    const parent = await w.interactions.comment(author.id, post.id, { text: "parent" });
    const elsewhere = await w.interactions.comment(author.id, other.id, { text: "elsewhere" });
    const reply = await w.interactions.comment(fan.id, post.id, { text: "reply", replyToId: parent.id });
    expect(reply.replyToId).to.equal(parent.id);
    expect((await allComments(fan.id, post.id)).map((c) => c.replyToId)).to.deep.equal([null, parent.id]);
    for (const replyToId of [elsewhere.id, "999999999", post.id]) {
      const error = await rejectionOf(w.interactions.comment(fan.id, post.id, { text: "x", replyToId }));
      expect([error.status, error.code]).to.deep.equal([404, "COMMENT_NOT_FOUND"]);
    }
    expect(await rawComments(post.id)).to.equal(2);
  });

  it("lets the comment's author and the post's author delete, others not (403), strangers not even see (404)", async () => {
    const [author, fan, other] = [await w.user({ isPrivate: true }), await w.user(), await w.user()];
    await w.graph.follow(fan.id, { id: author.id, isPrivate: true });
    await w.graph.approve(author.id, fan.id);
    await w.graph.follow(other.id, { id: author.id, isPrivate: true });
    await w.graph.approve(author.id, other.id);
    const stranger = await w.user();
    const post = await w.post(author.id);
    const [byFan, second] = [
      await w.interactions.comment(fan.id, post.id, { text: "one" }),
      await w.interactions.comment(fan.id, post.id, { text: "two" }),
    ];
    expect((await rejectionOf(w.interactions.deleteComment(other.id, byFan.id))).status).to.equal(403);
    expect((await rejectionOf(w.interactions.deleteComment(stranger.id, byFan.id))).status).to.equal(404);
    expect((await rejectionOf(w.interactions.deleteComment(fan.id, "123456789"))).status).to.equal(404);
    await w.interactions.deleteComment(fan.id, byFan.id);
    await w.interactions.deleteComment(author.id, second.id);
    expect(await rawComments(post.id)).to.equal(0);
    expect(await allComments(author.id, post.id)).to.deep.equal([]);
    expect((await rejectionOf(w.interactions.deleteComment(fan.id, byFan.id))).status).to.equal(404);
  });

  it("uncounts a comment once when it is deleted twice at the same moment, on two nodes", async () => {
    const author = await w.user();
    const post = await w.post(author.id);
    await w.interactions.comment(author.id, post.id, { text: "stays" });
    const doomed = await w.interactions.comment(author.id, post.id, { text: "goes" });
    const results = await Promise.allSettled(
      [w.interactions, w.otherNode(), w.otherNode()].map((node) => node.deleteComment(author.id, doomed.id)),
    );
    expect(results.some((r) => r.status === "fulfilled")).to.equal(true);
    expect(await rawComments(post.id)).to.equal(1);
    expect((await allComments(author.id, post.id)).map((c) => c.text)).to.deep.equal(["stays"]);
  });

  it("notifies the post's author and the mentioned users who may see the post, never the commenter", async () => {
    const [author, fan, friend, outsider] = [
      await w.user({ isPrivate: true }),
      await w.user(),
      await w.user(),
      await w.user(),
    ];
    for (const follower of [fan, friend]) {
      await w.graph.follow(follower.id, { id: author.id, isPrivate: true });
      await w.graph.approve(author.id, follower.id);
    }
    const post = await w.post(author.id);
    w.notifier.sent.length = 0;
    const text = `hi @${friend.username} @${outsider.username} @${fan.username} @nobody_here @${author.username}`;
    const comment = await w.interactions.comment(fan.id, post.id, { text });
    const base = { actorId: fan.id, postId: post.id, commentId: comment.id };
    expect(w.notifier.sent).to.have.deep.members([
      { ...base, recipientId: author.id, type: "comment" },
      { ...base, recipientId: author.id, type: "mention" },
      { ...base, recipientId: friend.id, type: "mention" },
    ]);
    expect(w.notifier.sent).to.have.length(3);

    w.notifier.sent.length = 0;
    await w.interactions.comment(author.id, post.id, { text: "my own post" });
    expect(w.notifier.sent).to.deep.equal([]);
  });

  it("keeps the comment when the notifier fails", async () => {
    const [author, fan] = [await w.user(), await w.user()];
    const post = await w.post(author.id);
    w.notifier.failing = true;
    const comment = await w.interactions.comment(fan.id, post.id, { text: `@${author.username} hey` });
    expect((await allComments(author.id, post.id)).map((c) => c.id)).to.deep.equal([comment.id]);
  });

  it("hides comments of users blocked either way, and 404s comments of posts the caller may not see", async () => {
    const [author, fan, viewer] = [await w.user(), await w.user(), await w.user()];
    const post = await w.post(author.id);
    await w.interactions.comment(fan.id, post.id, { text: "from fan" });
    await w.interactions.comment(author.id, post.id, { text: "from author" });
    await w.graph.block(viewer.id, fan.id);
    expect((await allComments(viewer.id, post.id)).map((c) => c.text)).to.deep.equal(["from author"]);
    await w.graph.block(author.id, viewer.id);
    expect(
      (await rejectionOf(w.interactions.listComments(viewer.id, post.id, { limit: 5 }))).status,
    ).to.equal(404);
    expect((await rejectionOf(w.interactions.comment(viewer.id, post.id, { text: "x" }))).status).to.equal(
      404,
    );
  });

  it("takes 1 to 2200 characters of text, trimmed", () => {
    const id = "12345";
    expect(commentParams.safeParse({ id, text: "  " }).success).to.equal(false);
    expect(commentParams.safeParse({ id, text: "é".repeat(2201) }).success).to.equal(false);
    expect(commentParams.safeParse({ id, text: "é".repeat(2200) }).success).to.equal(true);
    expect(commentParams.parse({ id, text: " hi " }).text).to.equal("hi");
    expect(commentParams.safeParse({ id, text: "hi", extra: 1 }).success).to.equal(false);
    expect(commentParams.safeParse({ id, text: "hi", replyToId: "abc" }).success).to.equal(false);
  });
});
