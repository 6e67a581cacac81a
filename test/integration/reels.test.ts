import { expect } from "chai";
import type { PostView } from "../../lib/contracts/objects";
import type { Page } from "../../lib/validation/page";
import { api, signup, startTestNode, type Account, type TestNode } from "../support/test-node";
import { createPost, postMedia, uploadVideo } from "../support/media";
import { eventually } from "../support/eventually";

describe("reels", function () {
  this.timeout(120_000);
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(() => t.stop());

  const reels = (who: Account, query = "") =>
    api<Page<PostView>>(t.url, "GET", `/api/reels${query}`, { token: who.token });

  /** Every reel, page by page, with the size of each page. */
  async function allReels(who: Account, limit: number): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=${limit}${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page = await reels(who, query);
      expect(page.status, page.text).to.equal(200);
      expect(page.body.items.length).to.be.at.most(limit);
      ids.push(...page.body.items.map((p) => p.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 50);
    return { ids, pages };
  }

  it("plays the followed accounts' videos first, newest first, then explore's, never photos nor one's own", async () => {
    const [reader, followed, stranger] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    await api(t.url, "POST", `/api/users/${followed.username}/follow`, { token: reader.token });
    const older = await postMedia(t.url, followed, [(await uploadVideo(t.url, followed)).id], "older clip");
    await createPost(t.url, followed, "a photo, not a reel");
    const newer = await postMedia(t.url, followed, [(await uploadVideo(t.url, followed)).id], "newer clip");
    const theirs = await postMedia(
      t.url,
      stranger,
      [(await uploadVideo(t.url, stranger)).id],
      "a stranger's clip",
    );
    await postMedia(t.url, reader, [(await uploadVideo(t.url, reader)).id], "my own clip");
    // Explore ranks what gains likes: the stranger's clip gets one.
    await api(t.url, "POST", `/api/posts/${theirs.id}/like`, { token: followed.token });
    const discovery = t.node.app.discovery;
    if (!discovery) throw new Error("no discovery here");
    await eventually(
      async () => (await reels(reader, "?limit=50")).body.items.some((p) => p.id === newer.id),
      "the followed account's clip in the reader's timeline",
    );
    await discovery.explore.compute();

    const page = await reels(reader, "?limit=50");
    const ids = page.body.items.map((p) => p.id);
    expect(ids.slice(0, 2)).to.deep.equal([newer.id, older.id]);
    expect(ids).to.include(theirs.id);
    for (const post of page.body.items) {
      expect(post.author.id).not.to.equal(reader.user.id);
      const video = post.media.find((m) => m.type === "video");
      expect(video?.variants).to.have.property("mp4");
      expect(video?.variants).to.have.property("poster");
    }

    // Paged one at a time: the same reels in the same order, none repeated, none skipped.
    const paged = await allReels(reader, 1);
    expect(paged.ids.filter((id) => ids.includes(id))).to.deep.equal(ids);
    expect(new Set(paged.ids).size).to.equal(paged.ids.length);
  });

  it("refuses a cursor that is not one of ours", async () => {
    const reader = await signup(t.url);
    for (const cursor of ["x", "f~$$$", "e~" + "a".repeat(400)]) {
      const res = await reels(reader, `?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor).to.equal(400);
    }
    expect((await reels(reader, "?limit=0")).status).to.equal(400);
  });
});
