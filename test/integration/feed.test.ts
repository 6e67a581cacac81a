import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import type { Page } from "../../lib/validation/page";
import type { PostView } from "../../lib/posts/posts";
import type { MediaView } from "../../lib/media-library/media-view";
import { homeTimeline, timeline } from "../../lib/timeline/tables";
import {
  api,
  signup,
  startTestNode,
  type Account,
  type ErrorBody,
  type TestNode,
} from "../support/test-node";
import { createPost } from "../support/media";

describe("the home feed", function () {
  this.timeout(120_000);
  let t: TestNode;

  before(async () => {
    // A low threshold, so that a celebrity takes three followers here.
    t = await startTestNode({ CELEBRITY_THRESHOLD: "3" });
  });
  after(async () => {
    await t.stop();
  });

  const follow = (who: Account, whom: Account) =>
    api(t.url, "POST", `/api/users/${whom.username}/follow`, { token: who.token });
  const feed = (who: Account, query = "") =>
    api<Page<PostView>>(t.url, "GET", `/api/feed${query}`, { token: who.token });

  const post = (owner: Account, caption?: string) => createPost(t.url, owner, caption);

  /** Fan-out runs after the post is acknowledged: wait until the feed shows what it should. */
  async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error("the feed never showed it");
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const feedIds = async (who: Account) => (await feed(who, "?limit=100")).body.items.map((p) => p.id);

  it("shows your own posts and those of people you follow, newest first", async () => {
    const [a, b, stranger] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    await follow(a, b);
    const mine = await post(a, "mine");
    const theirs = await post(b, "theirs");
    await post(stranger, "not followed");
    await eventually(async () => (await feedIds(a)).includes(theirs.id));
    expect(await feedIds(a)).to.deep.equal([theirs.id, mine.id]);
    const page = await feed(a);
    expect(page.body.items[0]).to.deep.include({ caption: "theirs" });
    expect(page.body.items[0]?.author.username).to.equal(b.username);
  });

  it("brings a followed account's recent posts in at once, and takes them out on unfollow", async () => {
    const [a, b] = [await signup(t.url), await signup(t.url)];
    const older = await post(b, "before the follow");
    await follow(a, b);
    // At once in the timeline; shown once its image is rendered.
    await eventually(async () => (await feedIds(a)).includes(older.id));
    await api(t.url, "DELETE", `/api/users/${b.username}/follow`, { token: a.token });
    expect(await feedIds(a)).to.not.include(older.id);
  });

  it("shows each author with how the reader stands to them, and the reader's own posts without", async () => {
    const [a, mutual, oneWay] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    await follow(a, mutual);
    await follow(mutual, a);
    await follow(a, oneWay);
    const [p1, p2, own] = [await post(mutual, "mutual"), await post(oneWay, "one way"), await post(a, "own")];
    await eventually(async () => {
      const ids = await feedIds(a);
      return [p1, p2, own].every((p) => ids.includes(p.id));
    });
    const byId = new Map((await feed(a, "?limit=100")).body.items.map((p) => [p.id, p.author]));
    const standing = { following: true, requested: false, blocking: false };
    expect(byId.get(p1.id)?.relationship).to.deep.equal({ ...standing, followedBy: true });
    expect(byId.get(p2.id)?.relationship).to.deep.equal({ ...standing, followedBy: false });
    expect(byId.get(own.id)).to.not.have.property("relationship");
    expect(byId.get(p1.id)).to.deep.include({ username: mutual.username, avatarUrl: null });
    expect(byId.get(p1.id)?.counts).to.deep.equal({ followers: 1, following: 1, posts: 1 });
  });

  /** The reader's timeline rows as stored, whatever the feed filters. */
  const storedIds = async (who: Account) => {
    const slice = await homeTimeline.walk(t.node.app.store!, who.user.id, { limit: 1000 });
    return slice.rows.map((r) => r.post_id);
  };

  it("cleans the timeline row in the background once a read skips an unfollowed author's posts", async () => {
    const [a, b, c] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    await follow(a, b);
    await follow(a, c);
    const dropped = [await post(b, "b1"), await post(b, "b2")];
    const kept = await post(c, "c1");
    await eventually(async () => (await feedIds(a)).includes(kept.id));
    await eventually(async () => {
      const ids = await storedIds(a);
      return dropped.every((p) => ids.includes(p.id));
    });
    await api(t.url, "DELETE", `/api/users/${b.username}/follow`, { token: a.token });
    expect(await feedIds(a)).to.not.include.members(dropped.map((p) => p.id));
    await eventually(async () => !(await storedIds(a)).some((id) => dropped.some((p) => p.id === id)));
    expect(await storedIds(a)).to.include(kept.id);
  });

  it("pages on past a long run of skipped rows instead of ending the feed early", async () => {
    const [a, b] = [await signup(t.url), await signup(t.url)];
    const mine = await post(a, "mine, before the run");
    await follow(a, b);
    const run: PostView[] = [];
    for (let i = 0; i < 12; i++) run.push(await post(b, `b${i}`));
    await eventually(async () => {
      const ids = await storedIds(a);
      return run.every((p) => ids.includes(p.id));
    });
    await api(t.url, "DELETE", `/api/users/${b.username}/follow`, { token: a.token });
    // A page of 1 reads a few windows of candidates at most: twelve unfollowed rows in a row outlast them. The
    // page may come back short, or empty, but with a cursor: the feed goes on to the reader's own post.
    const seen: string[] = [];
    let cursor: string | null = "";
    for (let pages = 0; pages < 30 && cursor !== null; pages++) {
      const res = await feed(a, `?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(res.status).to.equal(200);
      seen.push(...res.body.items.map((p) => p.id));
      cursor = res.body.nextCursor;
    }
    expect(seen).to.deep.equal([mine.id]);
  });

  it("cleans deleted posts and blocked authors out of the timeline row after a read", async () => {
    const [a, b, c] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    await follow(a, b);
    await follow(a, c);
    const deleted = await post(b, "to delete");
    const blocker = await post(c, "from a blocker");
    await eventually(async () => {
      const ids = await storedIds(a);
      return ids.includes(deleted.id) && ids.includes(blocker.id);
    });
    await api(t.url, "DELETE", `/api/posts/${deleted.id}`, { token: b.token });
    await api(t.url, "POST", `/api/users/${a.username}/block`, { token: c.token });
    await feedIds(a);
    await eventually(async () => {
      const ids = await storedIds(a);
      return !ids.includes(deleted.id) && !ids.includes(blocker.id);
    });
  });

  it("keeps the rows of an author followed again before the clean-up ran", async () => {
    const [a, b] = [await signup(t.url), await signup(t.url)];
    await follow(a, b);
    const p = await post(b, "still wanted");
    await eventually(async () => (await storedIds(a)).includes(p.id));
    await api(t.url, "DELETE", `/api/users/${b.username}/follow`, { token: a.token });
    // The read decides to clean up, the follow (and its backfill) lands meanwhile: the row must survive.
    await Promise.all([feedIds(a), follow(a, b)]);
    await new Promise((r) => setTimeout(r, 300));
    await eventually(async () => (await feedIds(a)).includes(p.id));
    expect(await storedIds(a)).to.include(p.id);
  });

  it("adds a private account's past posts once the request is approved", async () => {
    const [a, owner] = [await signup(t.url), await signup(t.url)];
    await api(t.url, "PATCH", "/api/me", { token: owner.token, body: { isPrivate: true } });
    const p = await post(owner, "private");
    await follow(a, owner);
    expect(await feedIds(a)).to.not.include(p.id);
    await api(t.url, "POST", `/api/follow-requests/${a.username}/approve`, { token: owner.token });
    await eventually(async () => (await feedIds(a)).includes(p.id));
  });

  it("drops deleted posts and blocked authors at once", async () => {
    const [a, b] = [await signup(t.url), await signup(t.url)];
    await follow(a, b);
    const gone = await post(b, "to delete");
    const kept = await post(b, "to keep");
    await eventually(async () => (await feedIds(a)).includes(kept.id));
    await api(t.url, "DELETE", `/api/posts/${gone.id}`, { token: b.token });
    expect(await feedIds(a)).to.not.include(gone.id);
    await api(t.url, "POST", `/api/users/${a.username}/block`, { token: b.token });
    expect(await feedIds(a)).to.not.include(kept.id);
  });

  it("pages with cursors and neither repeats nor skips while new posts arrive", async () => {
    const [reader, author] = [await signup(t.url), await signup(t.url)];
    await follow(reader, author);
    const made: string[] = [];
    for (let i = 0; i < 12; i++) made.push((await post(author, `p${i}`)).id);
    await eventually(async () => (await feedIds(reader)).length === 12);

    const seen: string[] = [];
    let cursor: string | null = null;
    let fresh = 0;
    do {
      const res: Awaited<ReturnType<typeof feed>> = await feed(
        reader,
        `?limit=5${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(res.status).to.equal(200);
      seen.push(...res.body.items.map((p) => p.id));
      cursor = res.body.nextCursor;
      if (fresh++ < 2) await post(author, "arrived meanwhile");
    } while (cursor);
    expect(seen).to.deep.equal([...made].reverse());
  });

  it("pulls a celebrity's posts at read time instead of fanning them out", async () => {
    const star = await signup(t.url);
    const fans = [await signup(t.url), await signup(t.url), await signup(t.url)];
    for (const fan of fans) await follow(fan, star);
    const p = await post(star, "for everyone");
    // Readers refresh their list of celebrities every few seconds.
    for (const fan of fans) await eventually(async () => (await feedIds(fan)).includes(p.id));
    // Nothing was written into the fans' timelines: the feed found the post in the star's own partition.
    await new Promise((r) => setTimeout(r, 300));
    const rows = await t.node.app.store!.get(timeline, {
      ...homeTimeline.partitionOf(fans[0]!.user.id, p.id),
      post_id: p.id,
    });
    expect(rows).to.equal(undefined);
  });

  it("shows a post to followers once its media are ready, and to its author at once", async () => {
    const [a, b] = [await signup(t.url), await signup(t.url)];
    await follow(a, b);
    // A video takes the transcoder a moment: the post exists before its media are ready.
    const form = new FormData();
    form.append(
      "file",
      new Blob([await readFile(path.resolve(__dirname, "../fixtures/clip.mp4"))], { type: "video/mp4" }),
      "c.mp4",
    );
    const media = (await (
      await fetch(`${t.url}/api/media`, {
        method: "POST",
        headers: { authorization: `Bearer ${b.token}` },
        body: form,
      })
    ).json()) as MediaView;
    const res = await api<PostView>(t.url, "POST", "/api/posts", {
      token: b.token,
      body: { mediaIds: [media.id] },
    });
    expect(res.status).to.equal(201);
    expect(await feedIds(b)).to.include(res.body.id);
    if (res.body.media[0]?.status === "processing") expect(await feedIds(a)).to.not.include(res.body.id);
    await eventually(async () => (await feedIds(a)).includes(res.body.id), 30_000);
  });

  it("refuses a cursor that is not ours and a bad limit with 400", async () => {
    const a = await signup(t.url);
    for (const query of ["?cursor=123.abc", "?cursor=xyz", "?limit=0", "?limit=500"]) {
      const res = await api<ErrorBody>(t.url, "GET", `/api/feed${query}`, { token: a.token });
      expect(res.status, query).to.equal(400);
    }
  });
});
