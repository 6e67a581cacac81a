import { expect } from "chai";
import type { PostView } from "../../lib/contracts/objects";
import { viewCountsOf } from "../../lib/views";
import { api, ManualClock, signup, startTestNode, type Account, type TestNode } from "../support/test-node";
import { createPost } from "../support/media";

describe("views of posts", () => {
  const clock = new ManualClock();
  let t: TestNode;
  before(async () => {
    t = await startTestNode({}, { now: clock.now });
  });
  after(() => t.stop());

  const report = (who: Account, ids: string[], kind?: "view" | "play") =>
    api<{ counted: number }>(t.url, "POST", "/api/posts/views", {
      token: who.token,
      body: kind === undefined ? { ids } : { ids, kind },
    });
  const flush = async () => {
    if (!t.node.app.views) throw new Error("no views here");
    return t.node.app.views.flush();
  };
  const seenBy = (who: Account, id: string) =>
    api<PostView>(t.url, "GET", `/api/posts/${id}`, { token: who.token }).then((res) => res.body);

  it("counts each viewer once a day, never the author, and shows the counts to the author only", async () => {
    const ada = await signup(t.url);
    const [bob, cat] = [await signup(t.url), await signup(t.url)];
    const post = await createPost(t.url, ada);
    const other = await createPost(t.url, cat);

    expect((await report(bob, [post.id, other.id])).body).to.deep.equal({ counted: 2 });
    expect((await report(bob, [post.id, post.id])).body, "the same viewer again today").to.deep.equal({
      counted: 0,
    });
    expect((await report(cat, [post.id, "123"])).body, "an id that names no post").to.deep.equal({
      counted: 1,
    });
    expect((await report(ada, [post.id])).body, "the author").to.deep.equal({ counted: 0 });
    expect((await report(bob, [post.id], "play")).body, "a play counts apart").to.deep.equal({ counted: 1 });

    const before = await seenBy(ada, post.id);
    expect([before.viewCount, before.playCount], "nothing flushed yet").to.deep.equal([0, 0]);
    const flushed = await flush();
    expect(flushed.views).to.equal(4);
    const mine = await seenBy(ada, post.id);
    expect([mine.viewCount, mine.playCount]).to.deep.equal([2, 1]);
    const theirs = await seenBy(bob, post.id);
    expect(theirs).not.to.have.property("viewCount");
    expect(theirs).not.to.have.property("playCount");
    const grid = await api<{ items: PostView[] }>(t.url, "GET", `/api/users/${ada.username}/posts`, {
      token: ada.token,
    });
    expect(grid.body.items.find((p) => p.id === post.id)?.viewCount, "the author's own grid").to.equal(2);

    clock.advance(24 * 3_600_000);
    expect((await report(bob, [post.id])).body, "a new day").to.deep.equal({ counted: 1 });
    await flush();
    expect((await seenBy(ada, post.id)).viewCount).to.equal(3);
  });

  it("writes one increment per post and hour, however many views it sums", async () => {
    const ada = await signup(t.url);
    const post = await createPost(t.url, ada);
    const viewers = await Promise.all(Array.from({ length: 12 }, () => signup(t.url)));
    for (const viewer of viewers) await report(viewer, [post.id]);
    const outcome = await flush();
    // The post's total, its hour and its viewer sketch: three writes for twelve views (or twelve thousand).
    expect(outcome).to.deep.equal({ posts: 1, writes: 3, views: 12 });
    expect((await flush()).writes, "nothing left to write").to.equal(0);
  });

  it("writes what it counted when the service stops", async () => {
    const own = await startTestNode();
    try {
      const ada = await signup(own.url);
      const bob = await signup(own.url);
      const post = await createPost(own.url, ada);
      const res = await api(own.url, "POST", "/api/posts/views", {
        token: bob.token,
        body: { ids: [post.id] },
      });
      expect(res.status).to.equal(200);
      const store = own.node.app.store;
      if (!store) throw new Error("no store");
      const service = own.node.broker.getLocalService("interactions");
      if (!service) throw new Error("no interactions service");
      await own.node.broker.destroyService(service);
      expect((await viewCountsOf(store, [post.id])).get(post.id)).to.deep.equal({ views: 1, plays: 0 });
    } finally {
      await own.stop();
    }
  });

  it("gives the author insights: views, unique viewers, engagement, reach and the first 48 hours", async () => {
    const ada = await signup(t.url);
    const [fan, stranger, third] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    await api(t.url, "POST", `/api/users/${ada.username}/follow`, { token: fan.token });
    const post = await createPost(t.url, ada);
    for (const viewer of [fan, stranger, third]) await report(viewer, [post.id]);
    await report(fan, [post.id], "play");
    await api(t.url, "POST", `/api/posts/${post.id}/like`, { token: fan.token });
    await api(t.url, "POST", `/api/posts/${post.id}/like`, { token: stranger.token });
    await api(t.url, "POST", `/api/posts/${post.id}/comments`, {
      token: third.token,
      body: { text: "nice" },
    });
    await api(t.url, "POST", `/api/posts/${post.id}/save`, { token: stranger.token });
    await api(t.url, "POST", `/api/posts/${post.id}/save`, { token: stranger.token });
    await api(t.url, "POST", `/api/posts/${post.id}/share`, {
      token: fan.token,
      body: { usernames: [third.username] },
    });
    await flush();

    const res = await api<{
      views: number;
      plays: number;
      uniqueViewers: number;
      likes: number;
      comments: number;
      saves: number;
      shares: number;
      reach: { followers: number; nonFollowers: number };
      hours: { at: string; views: number; likes: number; saves: number }[];
    }>(t.url, "GET", `/api/posts/${post.id}/insights`, { token: ada.token });
    expect(res.status, res.text).to.equal(200);
    const { hours, ...totals } = res.body;
    expect(totals).to.deep.equal({
      postId: post.id,
      views: 3,
      plays: 1,
      uniqueViewers: 3,
      likes: 2,
      comments: 1,
      saves: 1,
      shares: 1,
      reach: { followers: 1, nonFollowers: 2 },
    });
    expect(hours).to.have.length(48);
    const firstHour = Math.floor(Date.parse(post.createdAt) / 3_600_000) * 3_600_000;
    expect(hours[0]?.at).to.equal(new Date(firstHour).toISOString());
    const now = hours.find(
      (h) => h.at === new Date(Math.floor(clock.now() / 3_600_000) * 3_600_000).toISOString(),
    );
    expect([now?.views, now?.likes, now?.saves]).to.deep.equal([3, 2, 1]);
    expect(hours.reduce((sum, h) => sum + h.views, 0)).to.equal(3);

    const other = await api<{ error: { code: string } }>(t.url, "GET", `/api/posts/${post.id}/insights`, {
      token: fan.token,
    });
    expect([other.status, other.body.error.code]).to.deep.equal([403, "NOT_AUTHOR"]);
    await api(t.url, "POST", `/api/users/${stranger.username}/block`, { token: ada.token });
    expect(
      (await api(t.url, "GET", `/api/posts/${post.id}/insights`, { token: stranger.token })).status,
    ).to.equal(404);
  });

  it("refuses a report that is not one", async () => {
    const ada = await signup(t.url);
    const ids = Array.from({ length: 101 }, (_, i) => String(i + 1));
    for (const body of [{ ids }, { ids: [] }, { ids: ["x"] }, { ids: ["1"], kind: "like" }, {}]) {
      const res = await api(t.url, "POST", "/api/posts/views", { token: ada.token, body });
      expect(res.status, JSON.stringify(body)).to.equal(400);
    }
    expect((await api(t.url, "POST", "/api/posts/views", { body: { ids: ["1"] } })).status).to.equal(401);
  });
});
