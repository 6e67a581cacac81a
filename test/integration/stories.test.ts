import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import type { UserView } from "../../lib/accounts/user-view";
import type { MediaView } from "../../lib/media-library/media-view";
import type { StoryGroup, StoryView } from "../../lib/stories";
import { ManualClock, api, signup, startTestNode, type ErrorBody, type TestNode } from "../support/test-node";

type Account = Awaited<ReturnType<typeof signup>>;
type Page<T> = { items: T[]; nextCursor: string | null };

const HOUR = 3600_000;
const FIXTURES = path.resolve(__dirname, "../fixtures");

describe("stories through the gateway", function () {
  this.timeout(120_000);
  const clock = new ManualClock();
  let t: TestNode;
  let photo: Buffer;
  let broken: Buffer;

  before(async () => {
    t = await startTestNode({}, { now: clock.now });
    photo = await readFile(path.join(FIXTURES, "image.png"));
    broken = await readFile(path.join(FIXTURES, "truncated.jpg"));
  });
  after(async () => {
    await t.stop();
  });

  async function upload(owner: Account, bytes: Buffer, type: string): Promise<string> {
    const form = new FormData();
    form.append("file", new Blob([bytes], { type }), "upload");
    const res = await fetch(`${t.url}/api/media`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner.token}` },
      body: form,
    });
    expect(res.status).to.equal(201);
    return ((await res.json()) as MediaView).id;
  }

  async function settled(owner: Account, mediaId: string): Promise<MediaView> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await api<MediaView>(t.url, "GET", `/api/media/${mediaId}`, { token: owner.token });
      expect(res.status, res.text).to.equal(200);
      if (res.body.status !== "processing") return res.body;
      if (Date.now() > deadline) throw new Error(`media ${mediaId} still processing`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A ready image of the owner, with bytes of its own so deduplication never hands back a used one. */
  async function readyMedia(owner: Account): Promise<string> {
    const id = await upload(
      owner,
      Buffer.concat([photo, Buffer.from(Math.random().toString())]),
      "image/png",
    );
    expect((await settled(owner, id)).status).to.equal("ready");
    return id;
  }

  const create = (owner: Account, body: unknown) =>
    api<StoryView & ErrorBody>(t.url, "POST", "/api/stories", { token: owner.token, body });

  async function story(owner: Account): Promise<StoryView> {
    const mediaId = await readyMedia(owner);
    clock.advance(1000);
    const res = await create(owner, { mediaId });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  const byUser = (who: Account, whose: Account) =>
    api<{ items: StoryView[] } & ErrorBody>(t.url, "GET", `/api/users/${whose.username}/stories`, {
      token: who.token,
    });
  const storyIds = async (who: Account, whose: Account) => {
    const res = await byUser(who, whose);
    expect(res.status, res.text).to.equal(200);
    return res.body.items.map((s) => s.id);
  };
  const view = (who: Account, id: string) =>
    api<ErrorBody>(t.url, "POST", `/api/stories/${id}/view`, { token: who.token });
  const viewers = (who: Account, id: string, query = "") =>
    api<Page<UserView> & ErrorBody>(t.url, "GET", `/api/stories/${id}/viewers${query}`, { token: who.token });
  const remove = (who: Account, id: string) =>
    api<ErrorBody>(t.url, "DELETE", `/api/stories/${id}`, { token: who.token });
  const feed = async (who: Account) => {
    const res = await api<{ items: StoryGroup[] }>(t.url, "GET", "/api/stories/feed", { token: who.token });
    expect(res.status, res.text).to.equal(200);
    return res.body.items;
  };
  const follow = async (who: Account, whom: Account) =>
    expect(
      (await api(t.url, "POST", `/api/users/${whom.username}/follow`, { token: who.token })).status,
    ).to.equal(200);
  const approve = async (owner: Account, requester: Account) =>
    expect(
      (await api(t.url, "POST", `/api/follow-requests/${requester.username}/approve`, { token: owner.token }))
        .status,
    ).to.equal(200);
  const block = async (who: Account, whom: Account) =>
    expect(
      (await api(t.url, "POST", `/api/users/${whom.username}/block`, { token: who.token })).status,
    ).to.be.oneOf([200, 204]);
  const goPrivate = (who: Account) =>
    api(t.url, "PATCH", "/api/me", { token: who.token, body: { isPrivate: true } });
  const code = (res: { status: number; body: ErrorBody }) => [res.status, res.body.error.code];

  describe("POST /api/stories", () => {
    it("answers 201 with the story, expiring 24 h after its creation", async () => {
      const ada = await signup(t.url);
      const mediaId = await readyMedia(ada);
      const res = await create(ada, { mediaId });
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.have.all.keys(
        "id",
        "author",
        "media",
        "createdAt",
        "expiresAt",
        "seenByMe",
        "audience",
      );
      expect(res.body.audience).to.equal("everyone");
      expect(res.body.author).to.deep.include({ id: ada.user.id, username: ada.username });
      expect(res.body.media).to.deep.include({ id: mediaId, status: "ready", type: "image" });
      expect(res.body.media.variants).to.include.keys("thumb", "small", "large");
      expect(res.body.seenByMe).to.equal(false);
      expect(res.body.createdAt).to.equal(new Date(clock.now()).toISOString());
      expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)).to.equal(24 * HOUR);
    });

    it("refuses a media used twice, by a story or a post, with 400 MEDIA_IN_USE", async () => {
      const ada = await signup(t.url);
      const mediaId = await readyMedia(ada);
      expect((await create(ada, { mediaId })).status).to.equal(201);
      expect(code(await create(ada, { mediaId }))).to.deep.equal([400, "MEDIA_IN_USE"]);
      const post = await api<ErrorBody>(t.url, "POST", "/api/posts", {
        token: ada.token,
        body: { caption: "again", mediaIds: [mediaId] },
      });
      expect(code(post)).to.deep.equal([400, "MEDIA_IN_USE"]);
      const posted = await readyMedia(ada);
      const ok = await api(t.url, "POST", "/api/posts", { token: ada.token, body: { mediaIds: [posted] } });
      expect(ok.status, ok.text).to.equal(201);
      expect(code(await create(ada, { mediaId: posted }))).to.deep.equal([400, "MEDIA_IN_USE"]);
      expect(await storyIds(ada, ada)).to.have.length(1);
    });

    it("refuses failed media, other users' media and bad bodies with 400", async () => {
      const [ada, bob] = [await signup(t.url), await signup(t.url)];
      const failed = await upload(ada, broken, "image/jpeg");
      expect((await settled(ada, failed)).status).to.equal("failed");
      expect(code(await create(ada, { mediaId: failed }))).to.deep.equal([400, "MEDIA_NOT_USABLE"]);
      expect(code(await create(bob, { mediaId: await readyMedia(ada) }))).to.deep.equal([
        400,
        "MEDIA_NOT_USABLE",
      ]);
      expect(code(await create(ada, {}))).to.deep.equal([400, "VALIDATION_FAILED"]);
      expect(code(await create(ada, { mediaId: "abc" }))).to.deep.equal([400, "VALIDATION_FAILED"]);
      const extra = await create(ada, { mediaId: await readyMedia(ada), caption: "no" });
      expect(code(extra)).to.deep.equal([400, "VALIDATION_FAILED"]);
      expect(await storyIds(ada, ada)).to.deep.equal([]);
    });
  });

  describe("GET /api/users/:username/stories", () => {
    it("lists live stories oldest first, to the author and to others", async () => {
      const [ada, bob] = [await signup(t.url), await signup(t.url)];
      const made = [(await story(ada)).id, (await story(ada)).id, (await story(ada)).id];
      expect(await storyIds(bob, ada)).to.deep.equal(made);
      expect(await storyIds(ada, ada)).to.deep.equal(made);
    });

    it("answers 404 for unknown or blocked users and 403 for a private account not followed", async () => {
      const [owner, fan, stranger, blocked] = [
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
      ];
      await goPrivate(owner);
      const s = await story(owner);
      await follow(fan, owner);
      expect(code(await byUser(fan, owner))).to.deep.equal([403, "PRIVATE_ACCOUNT"]);
      await approve(owner, fan);
      expect(await storyIds(fan, owner)).to.deep.equal([s.id]);
      expect(code(await byUser(stranger, owner))).to.deep.equal([403, "PRIVATE_ACCOUNT"]);
      await block(owner, blocked);
      expect(code(await byUser(blocked, owner))).to.deep.equal([404, "USER_NOT_FOUND"]);
      const nobody = await api<ErrorBody>(t.url, "GET", "/api/users/no_such_user_here/stories", {
        token: stranger.token,
      });
      expect(code(nobody)).to.deep.equal([404, "USER_NOT_FOUND"]);
    });
  });

  describe("views", () => {
    it("records a view once, marks it seen, and lists the viewer to the author only", async () => {
      const [ada, bob, cyd] = [await signup(t.url), await signup(t.url), await signup(t.url)];
      const s = await story(ada);
      expect((await byUser(bob, ada)).body.items[0]?.seenByMe).to.equal(false);
      expect((await view(bob, s.id)).status).to.equal(204);
      expect((await view(bob, s.id)).status).to.equal(204);
      expect((await view(ada, s.id)).status).to.equal(204);
      expect((await byUser(bob, ada)).body.items[0]?.seenByMe).to.equal(true);
      expect((await byUser(cyd, ada)).body.items[0]?.seenByMe).to.equal(false);
      const list = await viewers(ada, s.id);
      expect(list.status, list.text).to.equal(200);
      expect(list.body.items.map((u) => u.username)).to.deep.equal([bob.username]);
      expect(list.body.nextCursor).to.equal(null);
      expect(code(await viewers(bob, s.id))).to.deep.equal([403, "NOT_AUTHOR"]);
    });

    it("pages viewers newest first", async () => {
      const ada = await signup(t.url);
      const fans = [await signup(t.url), await signup(t.url), await signup(t.url)];
      const s = await story(ada);
      for (const fan of fans) {
        clock.advance(1000);
        expect((await view(fan, s.id)).status).to.equal(204);
      }
      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof viewers>> = await viewers(
          ada,
          s.id,
          `?limit=2${cursor === null ? "" : `&cursor=${cursor}`}`,
        );
        expect(page.status, page.text).to.equal(200);
        expect(page.body.items.length).to.be.at.most(2);
        names.push(...page.body.items.map((u) => u.username));
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      expect(names).to.deep.equal(fans.map((f) => f.username).reverse());
      expect(code(await viewers(ada, s.id, "?limit=0"))).to.deep.equal([400, "VALIDATION_FAILED"]);
      expect(code(await viewers(ada, s.id, "?cursor=bm90LW91cnM"))).to.deep.equal([400, "INVALID_CURSOR"]);
    });

    it("answers 404 to those who cannot see the story: private, blocked, unknown", async () => {
      const [owner, stranger, ada, blocked] = [
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
      ];
      await goPrivate(owner);
      const hidden = await story(owner);
      expect(code(await view(stranger, hidden.id))).to.deep.equal([404, "STORY_NOT_FOUND"]);
      expect(code(await viewers(stranger, hidden.id))).to.deep.equal([404, "STORY_NOT_FOUND"]);
      const open = await story(ada);
      await block(blocked, ada);
      expect(code(await view(blocked, open.id))).to.deep.equal([404, "STORY_NOT_FOUND"]);
      expect(code(await viewers(blocked, open.id))).to.deep.equal([404, "STORY_NOT_FOUND"]);
      expect(code(await view(stranger, "123456789"))).to.deep.equal([404, "STORY_NOT_FOUND"]);
      expect((await viewers(owner, hidden.id)).body.items).to.deep.equal([]);
      expect((await viewers(ada, open.id)).body.items).to.deep.equal([]);
    });
  });

  describe("DELETE /api/stories/:id", () => {
    it("lets only the author delete: 403 for others who see it, 404 for those who cannot", async () => {
      const [ada, bob, blocked] = [await signup(t.url), await signup(t.url), await signup(t.url)];
      const s = await story(ada);
      await block(ada, blocked);
      expect(code(await remove(bob, s.id))).to.deep.equal([403, "NOT_AUTHOR"]);
      expect(code(await remove(blocked, s.id))).to.deep.equal([404, "STORY_NOT_FOUND"]);
      expect(await storyIds(bob, ada)).to.deep.equal([s.id]);
      expect((await remove(ada, s.id)).status).to.equal(204);
      expect(await storyIds(bob, ada)).to.deep.equal([]);
      expect(code(await view(bob, s.id))).to.deep.equal([404, "STORY_NOT_FOUND"]);
      expect(code(await remove(ada, s.id))).to.deep.equal([404, "STORY_NOT_FOUND"]);
    });
  });

  describe("GET /api/stories/feed", () => {
    it("shows own stories first, then followed users with unseen stories, then the seen ones", async () => {
      const [me, seen, unseen, priv, pending, stranger] = [
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
      ];
      await goPrivate(priv);
      await goPrivate(pending);
      for (const u of [seen, unseen, priv, pending]) await follow(me, u);
      await approve(priv, me);
      const u1 = await story(unseen);
      const u2 = await story(unseen);
      const p1 = await story(priv);
      await story(pending);
      await story(stranger);
      const mine = await story(me);
      const s1 = await story(seen);
      expect((await view(me, s1.id)).status).to.equal(204);

      const groups = await feed(me);
      expect(groups.map((g) => [g.user.username, g.stories.map((s) => s.id), g.allSeen])).to.deep.equal([
        [me.username, [mine.id], false],
        [priv.username, [p1.id], false],
        [unseen.username, [u1.id, u2.id], false],
        [seen.username, [s1.id], true],
      ]);
      expect(groups[3]?.stories[0]?.seenByMe).to.equal(true);

      await view(me, u1.id);
      await view(me, u2.id);
      expect((await feed(me)).map((g) => [g.user.username, g.allSeen])).to.deep.equal([
        [me.username, false],
        [priv.username, false],
        [seen.username, true],
        [unseen.username, true],
      ]);
      expect(await feed(stranger)).to.have.length(1);
    });
  });

  // Last: it moves the node's clock a day on, past every story above.
  describe("expiry", () => {
    it("keeps a story for 24 hours and then answers as if it never was", async () => {
      const [ada, bob] = [await signup(t.url), await signup(t.url)];
      await follow(bob, ada);
      const s = await story(ada);
      const createdAt = Date.parse(s.createdAt);

      clock.advance(createdAt + 23 * HOUR + 59 * 60_000 - clock.now());
      expect((await view(bob, s.id)).status).to.equal(204);
      expect(await storyIds(bob, ada)).to.deep.equal([s.id]);
      expect((await feed(bob)).map((g) => g.user.username)).to.deep.equal([ada.username]);
      expect((await viewers(ada, s.id)).body.items.map((u) => u.username)).to.deep.equal([bob.username]);

      clock.advance(createdAt + 24 * HOUR + 1000 - clock.now());
      expect(await storyIds(bob, ada)).to.deep.equal([]);
      expect(await storyIds(ada, ada)).to.deep.equal([]);
      expect(await feed(bob)).to.deep.equal([]);
      expect(await feed(ada)).to.deep.equal([]);
      expect(code(await view(bob, s.id))).to.deep.equal([404, "STORY_NOT_FOUND"]);
      expect(code(await viewers(ada, s.id))).to.deep.equal([404, "STORY_NOT_FOUND"]);
      expect(code(await remove(ada, s.id))).to.deep.equal([404, "STORY_NOT_FOUND"]);

      const fresh = await story(ada);
      expect(await storyIds(bob, ada)).to.deep.equal([fresh.id]);
    });
  });
});
