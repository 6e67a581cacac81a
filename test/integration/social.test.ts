import { expect } from "chai";
import type { Page } from "../../lib/validation/page";
import type { UserView } from "../../lib/accounts/user-view";
import type { PostView } from "../../lib/posts/posts";
import {
  api,
  signup,
  startTestNode,
  type Account,
  type ErrorBody,
  type TestNode,
} from "../support/test-node";
import { createPost, uploadPhoto } from "../support/media";

describe("follows, blocks and posts through the gateway", function () {
  this.timeout(120_000);
  let t: TestNode;

  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.stop();
  });

  const follow = (who: Account, whom: Account) =>
    api<{ state: string }>(t.url, "POST", `/api/users/${whom.username}/follow`, { token: who.token });
  const profile = (who: Account, whom: Account) =>
    api<UserView>(t.url, "GET", `/api/users/${whom.username}`, { token: who.token });

  const upload = (owner: Account) => uploadPhoto(t.url, owner);

  const post = (owner: Account, caption?: string) => createPost(t.url, owner, caption);

  describe("follows", () => {
    it("follows a public account at once, counts both sides, and unfollows", async () => {
      const [a, b] = [await signup(t.url), await signup(t.url)];
      expect((await follow(a, b)).body).to.deep.equal({ state: "following" });
      expect((await follow(a, b)).body, "following twice").to.deep.equal({ state: "following" });
      const seen = await profile(a, b);
      expect(seen.body.counts.followers).to.equal(1);
      expect(seen.body.relationship).to.deep.equal({
        following: true,
        followedBy: false,
        requested: false,
        blocking: false,
      });
      expect((await profile(b, a)).body.relationship?.followedBy).to.equal(true);
      expect(
        (await api<UserView>(t.url, "GET", "/api/me", { token: a.token })).body.counts.following,
      ).to.equal(1);

      const out = await api(t.url, "DELETE", `/api/users/${b.username}/follow`, { token: a.token });
      expect(out.body).to.deep.equal({ state: "none" });
      expect((await profile(a, b)).body.counts.followers).to.equal(0);
    });

    it("answers a request for a private account, which the owner approves or rejects", async () => {
      const [a, b, c] = [await signup(t.url), await signup(t.url), await signup(t.url)];
      await api(t.url, "PATCH", "/api/me", { token: b.token, body: { isPrivate: true } });
      expect((await follow(a, b)).body).to.deep.equal({ state: "requested" });
      expect((await follow(c, b)).body).to.deep.equal({ state: "requested" });
      expect((await profile(a, b)).body.relationship?.requested).to.equal(true);

      const requests = await api<Page<UserView>>(t.url, "GET", "/api/follow-requests", { token: b.token });
      expect(requests.body.items.map((u) => u.username)).to.have.members([a.username, c.username]);
      expect(
        (await api(t.url, "POST", `/api/follow-requests/${a.username}/approve`, { token: b.token })).status,
      ).to.equal(200);
      expect(
        (await api(t.url, "POST", `/api/follow-requests/${c.username}/reject`, { token: b.token })).status,
      ).to.equal(200);
      expect((await profile(a, b)).body.relationship).to.deep.include({ following: true, requested: false });
      expect((await profile(c, b)).body.relationship).to.deep.include({ following: false, requested: false });
      const missing = await api<ErrorBody>(t.url, "POST", `/api/follow-requests/${c.username}/approve`, {
        token: b.token,
      });
      expect(missing.status).to.equal(404);
    });

    it("refuses to follow yourself with 400", async () => {
      const a = await signup(t.url);
      const res = await follow(a, a);
      expect(res.status).to.equal(400);
    });

    it("lists followers newest first, with cursors that page without repeats", async () => {
      const star = await signup(t.url);
      const fans: Account[] = [];
      for (let i = 0; i < 7; i++) {
        const fan = await signup(t.url);
        await follow(fan, star);
        fans.push(fan);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `/api/users/${star.username}/followers?limit=3${cursor ? `&cursor=${cursor}` : ""}`;
        const res = await api<Page<UserView>>(t.url, "GET", query, { token: star.token });
        expect(res.status).to.equal(200);
        expect(res.body.items.length).to.be.at.most(3);
        seen.push(...res.body.items.map((u) => u.username));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).to.deep.equal(fans.map((f) => f.username).reverse());

      const following = await api<Page<UserView>>(t.url, "GET", `/api/users/${fans[0]!.username}/following`, {
        token: star.token,
      });
      expect(following.body.items.map((u) => u.username)).to.deep.equal([star.username]);
    });

    it("refuses a bad limit or a cursor that is not ours with 400", async () => {
      const a = await signup(t.url);
      for (const query of [
        "?limit=0",
        "?limit=101",
        "?limit=abc",
        "?cursor=not-a-cursor",
        "?cursor=%2F%2F",
      ]) {
        const res = await api<ErrorBody>(t.url, "GET", `/api/users/${a.username}/followers${query}`, {
          token: a.token,
        });
        expect(res.status, query).to.equal(400);
      }
    });
  });

  describe("what is not there (404)", () => {
    const requestAction = (owner: Account, name: string, verb: "approve" | "reject") =>
      api<ErrorBody>(t.url, "POST", `/api/follow-requests/${name}/${verb}`, { token: owner.token });
    const code = (res: { status: number; body: ErrorBody }) => [res.status, res.body.error?.code];

    it("answers 404 to rejecting a request that is not pending, and to a name that is nobody's", async () => {
      const [owner, asker, stranger] = [await signup(t.url), await signup(t.url), await signup(t.url)];
      await api(t.url, "PATCH", "/api/me", { token: owner.token, body: { isPrivate: true } });
      expect((await follow(asker, owner)).body).to.deep.equal({ state: "requested" });

      expect(code(await requestAction(owner, stranger.username, "reject"))).to.deep.equal([
        404,
        "REQUEST_NOT_FOUND",
      ]);
      expect(code(await requestAction(owner, owner.username, "reject"))).to.deep.equal([
        404,
        "REQUEST_NOT_FOUND",
      ]);
      expect(code(await requestAction(owner, `nobody_${Date.now()}`, "reject"))).to.deep.equal([
        404,
        "USER_NOT_FOUND",
      ]);
      // The real one is rejected once; a second time there is nothing to reject, nor to approve.
      const rejected = await requestAction(owner, asker.username, "reject");
      expect([rejected.status, rejected.body]).to.deep.equal([200, { state: "rejected" }]);
      expect(code(await requestAction(owner, asker.username, "reject"))).to.deep.equal([
        404,
        "REQUEST_NOT_FOUND",
      ]);
      expect(code(await requestAction(owner, asker.username, "approve"))).to.deep.equal([
        404,
        "REQUEST_NOT_FOUND",
      ]);
      expect((await profile(asker, owner)).body.relationship).to.deep.include({
        following: false,
        requested: false,
      });
    });

    it("answers unfollow and unblock of a real account 200 every time, and of a name that is nobody's 404", async () => {
      const [a, b] = [await signup(t.url), await signup(t.url)];
      const nobody = `nobody_${Date.now()}`;
      for (let i = 0; i < 2; i++) {
        const unfollowed = await api(t.url, "DELETE", `/api/users/${b.username}/follow`, { token: a.token });
        expect([unfollowed.status, unfollowed.body]).to.deep.equal([200, { state: "none" }]);
        const unblocked = await api(t.url, "DELETE", `/api/users/${b.username}/block`, { token: a.token });
        expect([unblocked.status, unblocked.body]).to.deep.equal([200, { blocking: false }]);
      }
      const unfollowNobody = await api<ErrorBody>(t.url, "DELETE", `/api/users/${nobody}/follow`, {
        token: a.token,
      });
      expect(code(unfollowNobody)).to.deep.equal([404, "USER_NOT_FOUND"]);
      const unblockNobody = await api<ErrorBody>(t.url, "DELETE", `/api/users/${nobody}/block`, {
        token: a.token,
      });
      expect(code(unblockNobody)).to.deep.equal([404, "USER_NOT_FOUND"]);

      // Hidden by a block is not nobody: the blocker lifts it, and the blocked one may still unfollow.
      await api(t.url, "POST", `/api/users/${b.username}/block`, { token: a.token });
      const hidden = await api(t.url, "DELETE", `/api/users/${a.username}/follow`, { token: b.token });
      expect([hidden.status, hidden.body]).to.deep.equal([200, { state: "none" }]);
      const lifted = await api(t.url, "DELETE", `/api/users/${b.username}/block`, { token: a.token });
      expect([lifted.status, lifted.body]).to.deep.equal([200, { blocking: false }]);
      expect((await profile(a, b)).status).to.equal(200);
    });
  });

  describe("blocks", () => {
    it("removes follows both ways and hides each from the other (404)", async () => {
      const [a, b] = [await signup(t.url), await signup(t.url)];
      await follow(a, b);
      await follow(b, a);
      const p = await post(b);
      expect(
        (await api(t.url, "POST", `/api/users/${b.username}/block`, { token: a.token })).status,
      ).to.equal(200);

      expect((await profile(a, b)).status).to.equal(404);
      expect((await profile(b, a)).status).to.equal(404);
      expect((await api(t.url, "GET", `/api/posts/${p.id}`, { token: a.token })).status).to.equal(404);
      expect((await follow(b, a)).status).to.equal(404);
      expect((await api<UserView>(t.url, "GET", "/api/me", { token: a.token })).body.counts).to.deep.include({
        followers: 0,
        following: 0,
      });

      expect(
        (await api(t.url, "DELETE", `/api/users/${b.username}/block`, { token: a.token })).status,
      ).to.equal(200);
      expect((await profile(a, b)).body.relationship).to.deep.equal({
        following: false,
        followedBy: false,
        requested: false,
        blocking: false,
      });
    });
  });

  describe("posts", () => {
    it("creates a post from the caller's media with tags and real mentions only", async () => {
      const [a, b] = [await signup(t.url), await signup(t.url)];
      const p = await post(
        a,
        `Sunset with @${b.username} and @nobody_here_${Date.now()} #Beach #beach #sea2026 #1`,
      );
      expect(p.author.id).to.equal(a.user.id);
      expect(p.hashtags).to.deep.equal(["beach", "sea2026"]);
      expect(p.mentions).to.deep.equal([b.username]);
      expect(p.media).to.have.length(1);
      expect(p).to.include({ likeCount: 0, commentCount: 0, likedByMe: false, savedByMe: false });
      expect(
        (await api<PostView>(t.url, "GET", `/api/posts/${p.id}`, { token: b.token })).body.caption,
      ).to.contain("Sunset");
      expect((await api<UserView>(t.url, "GET", "/api/me", { token: a.token })).body.counts.posts).to.equal(
        1,
      );
    });

    it("refuses media used twice, someone else's, none, or more than ten", async () => {
      const [a, b] = [await signup(t.url), await signup(t.url)];
      const mine = await upload(a);
      const theirs = await upload(b);
      const create = (mediaIds: string[]) =>
        api<ErrorBody>(t.url, "POST", "/api/posts", { token: a.token, body: { mediaIds } });
      expect((await create([mine.id])).status).to.equal(201);
      expect((await create([mine.id])).body.error.code).to.equal("MEDIA_IN_USE");
      expect((await create([theirs.id])).body.error.code).to.equal("MEDIA_NOT_USABLE");
      expect((await create([])).status).to.equal(400);
      expect((await create(Array.from({ length: 11 }, (_, i) => String(i + 1)))).status).to.equal(400);
      const long = await api<ErrorBody>(t.url, "POST", "/api/posts", {
        token: a.token,
        body: { caption: "x".repeat(2201), mediaIds: [(await upload(a)).id] },
      });
      expect(long.status).to.equal(400);
    });

    it("keeps a private account's posts for its approved followers", async () => {
      const [owner, fan, stranger] = [await signup(t.url), await signup(t.url), await signup(t.url)];
      await api(t.url, "PATCH", "/api/me", { token: owner.token, body: { isPrivate: true } });
      const p = await post(owner);
      await follow(fan, owner);
      await api(t.url, "POST", `/api/follow-requests/${fan.username}/approve`, { token: owner.token });

      const list = (who: Account) =>
        api<Page<PostView>>(t.url, "GET", `/api/users/${owner.username}/posts`, { token: who.token });
      expect((await list(fan)).body.items.map((x) => x.id)).to.deep.equal([p.id]);
      expect((await list(stranger)).status).to.equal(403);
      expect((await api(t.url, "GET", `/api/posts/${p.id}`, { token: stranger.token })).status).to.equal(404);
      expect((await api(t.url, "GET", `/api/posts/${p.id}`, { token: fan.token })).status).to.equal(200);
    });

    it("lists a user's posts newest first and lets only the author delete", async () => {
      const [a, b] = [await signup(t.url), await signup(t.url)];
      const first = await post(a, "first");
      const second = await post(a, "second");
      const list = await api<Page<PostView>>(t.url, "GET", `/api/users/${a.username}/posts?limit=1`, {
        token: b.token,
      });
      expect(list.body.items.map((x) => x.id)).to.deep.equal([second.id]);
      const next = await api<Page<PostView>>(
        t.url,
        "GET",
        `/api/users/${a.username}/posts?limit=1&cursor=${list.body.nextCursor}`,
        { token: b.token },
      );
      expect(next.body.items.map((x) => x.id)).to.deep.equal([first.id]);

      expect((await api(t.url, "DELETE", `/api/posts/${first.id}`, { token: b.token })).status).to.equal(403);
      expect((await api(t.url, "DELETE", `/api/posts/${first.id}`, { token: a.token })).status).to.equal(204);
      expect((await api(t.url, "GET", `/api/posts/${first.id}`, { token: a.token })).status).to.equal(404);
      expect((await api(t.url, "DELETE", `/api/posts/${first.id}`, { token: a.token })).status).to.equal(404);
      expect((await api<UserView>(t.url, "GET", "/api/me", { token: a.token })).body.counts.posts).to.equal(
        1,
      );
    });
  });
});
