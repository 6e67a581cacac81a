import { expect } from "chai";
import { savedPosts } from "../../../lib/interactions/tables";
import { createWorld, everything, rejectionOf, type World } from "./fixture";

describe("Interactions: saves", function () {
  this.timeout(30_000);
  let w: World;

  beforeEach(async () => {
    w = await createWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  const savedIds = (userId: string, limit = 100) =>
    everything((cursor) => w.interactions.saved(userId, { limit, cursor })).then((posts) =>
      posts.map((p) => p.id),
    );

  it("lists saved posts most recently saved first, paging without repeats or gaps while saves arrive", async () => {
    const [author, reader] = [await w.user(), await w.user()];
    const posts = [];
    for (let i = 0; i < 5; i++) posts.push(await w.post(author.id, `p${i}`));
    // Saved in another order than posted: the list follows the saves.
    for (const i of [2, 0, 4, 1, 3]) await w.interactions.save(reader.id, posts[i]!.id);
    const first = await w.interactions.saved(reader.id, { limit: 2 });
    expect(first.items.map((p) => p.caption)).to.deep.equal(["p3", "p1"]);
    expect(first.items.every((p) => p.savedByMe)).to.equal(true);
    const extra = await w.post(author.id, "extra");
    await w.interactions.save(reader.id, extra.id);
    const rest = await everything((cursor) =>
      w.interactions.saved(reader.id, { limit: 2, cursor: cursor ?? first.nextCursor! }),
    );
    expect(rest.map((p) => p.caption)).to.deep.equal(["p4", "p0", "p2"]);
    expect((await w.interactions.saved(reader.id, { limit: 1 })).items[0]?.id).to.equal(extra.id);
  });

  it("is idempotent, and saving again after an unsave moves the post to the front", async () => {
    const [author, reader] = [await w.user(), await w.user()];
    const [a, b] = [await w.post(author.id), await w.post(author.id)];
    expect(await w.interactions.save(reader.id, a.id)).to.deep.equal({ saved: true });
    expect(await w.interactions.save(reader.id, a.id)).to.deep.equal({ saved: true });
    await w.interactions.save(reader.id, b.id);
    expect(await savedIds(reader.id)).to.deep.equal([b.id, a.id]);
    expect(await w.interactions.unsave(reader.id, a.id)).to.deep.equal({ saved: false });
    expect(await w.interactions.unsave(reader.id, a.id)).to.deep.equal({ saved: false });
    expect(await savedIds(reader.id)).to.deep.equal([b.id]);
    expect((await w.posts.get(reader.id, a.id)).savedByMe).to.equal(false);
    await w.interactions.save(reader.id, a.id);
    expect(await savedIds(reader.id)).to.deep.equal([a.id, b.id]);
    expect((await savedPosts.walk(w.store, reader.id, { limit: 1000 })).rows).to.have.length(2);
  });

  it("keeps one list row under concurrent saves and unsaves of one post", async () => {
    const [author, reader] = [await w.user(), await w.user()];
    const post = await w.post(author.id);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 2 ? w.interactions.unsave(reader.id, post.id) : w.interactions.save(reader.id, post.id),
      ),
    );
    const saved = (await w.posts.get(reader.id, post.id)).savedByMe;
    expect(await savedIds(reader.id)).to.deep.equal(saved ? [post.id] : []);
    expect((await savedPosts.walk(w.store, reader.id, { limit: 1000 })).rows).to.have.length(saved ? 1 : 0);
  });

  it("skips saved posts deleted since or no longer visible, and 404s saving what the caller may not see", async () => {
    const [open, closing, blocker, reader] = [await w.user(), await w.user(), await w.user(), await w.user()];
    const [kept, deleted, privateNow, blockedNow] = [
      await w.post(open.id),
      await w.post(open.id),
      await w.post(closing.id),
      await w.post(blocker.id),
    ];
    for (const p of [kept, deleted, privateNow, blockedNow]) await w.interactions.save(reader.id, p.id);
    await w.posts.delete(open.id, deleted.id);
    await w.accounts.updateMe(closing.id, { isPrivate: true });
    await w.graph.block(blocker.id, reader.id);
    expect(await savedIds(reader.id, 1)).to.deep.equal([kept.id]);
    expect((await rejectionOf(w.interactions.save(reader.id, privateNow.id))).status).to.equal(404);
    expect((await rejectionOf(w.interactions.save(reader.id, deleted.id))).status).to.equal(404);
  });
});
