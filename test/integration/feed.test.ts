import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import type { PostView } from "../../lib/posts/posts";
import type { MediaView } from "../../lib/media-library/media-view";
import { timeline } from "../../lib/timeline/tables";
import { api, signup, startTestNode, type ErrorBody, type TestNode } from "../support/test-node";

type Page<T> = { items: T[]; nextCursor: string | null };
type Account = Awaited<ReturnType<typeof signup>>;

describe("the home feed", function () {
  this.timeout(120_000);
  let t: TestNode;
  let photo: Buffer;

  before(async () => {
    // A low threshold, so that a celebrity takes three followers here.
    t = await startTestNode({ CELEBRITY_THRESHOLD: "3" });
    photo = await readFile(path.resolve(__dirname, "../fixtures/image.png"));
  });
  after(async () => {
    await t.stop();
  });

  const follow = (who: Account, whom: Account) =>
    api(t.url, "POST", `/api/users/${whom.username}/follow`, { token: who.token });
  const feed = (who: Account, query = "") =>
    api<Page<PostView>>(t.url, "GET", `/api/feed${query}`, { token: who.token });

  async function post(owner: Account, caption = "hello"): Promise<PostView> {
    const form = new FormData();
    form.append(
      "file",
      new Blob([photo, Buffer.from(Math.random().toString())], { type: "image/png" }),
      "a.png",
    );
    const media = (await (
      await fetch(`${t.url}/api/media`, {
        method: "POST",
        headers: { authorization: `Bearer ${owner.token}` },
        body: form,
      })
    ).json()) as MediaView;
    const res = await api<PostView>(t.url, "POST", "/api/posts", {
      token: owner.token,
      body: { caption, mediaIds: [media.id] },
    });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

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
    const rows = await t.node.app.store!.get(timeline, { user_id: fans[0]!.user.id, post_id: p.id });
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
