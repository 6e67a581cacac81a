import { expect } from "chai";
import type { PostView, StoryGroup, StoryView, UserView } from "../../lib/contracts/objects";
import type { Discovery } from "../../lib/discovery";
import type { Page } from "../../lib/validation/page";
import { eventually } from "../support/eventually";
import { uploadPhoto } from "../support/media";
import { api, signup, startTestNode, uniqueName, type Account, type TestNode } from "../support/test-node";

/** Issue #15: a close-friends list, and posts and stories only the people on it see. */
describe("close friends", function () {
  this.timeout(120_000);
  let t: TestNode;
  let discovery: Discovery;
  before(async () => {
    t = await startTestNode();
    const built = t.node.app.discovery;
    if (built === undefined) throw new Error("the test node hosts discovery");
    discovery = built;
  });
  after(() => t.stop());

  const addFriend = (who: Account, whom: string) =>
    api<{ closeFriend?: boolean; error?: { code: string } }>(t.url, "PUT", `/api/me/close-friends/${whom}`, {
      token: who.token,
    });
  const removeFriend = (who: Account, whom: string) =>
    api<{ closeFriend?: boolean }>(t.url, "DELETE", `/api/me/close-friends/${whom}`, { token: who.token });
  const friendsOf = async (who: Account, query = "") =>
    api<Page<UserView>>(t.url, "GET", `/api/me/close-friends${query}`, { token: who.token });
  const follow = async (who: Account, whom: Account) => {
    const res = await api(t.url, "POST", `/api/users/${whom.username}/follow`, { token: who.token });
    expect(res.status, res.text).to.equal(200);
  };
  const ids = (items: readonly { id: string }[]) => items.map((item) => item.id);
  const get = (who: Account, path: string) =>
    api<Record<string, unknown>>(t.url, "GET", path, { token: who.token });
  const feedIds = async (who: Account, query = "") =>
    ids((await api<Page<PostView>>(t.url, "GET", `/api/feed${query}`, { token: who.token })).body.items);
  const profileIds = async (who: Account, of: Account) =>
    ids(
      (await api<Page<PostView>>(t.url, "GET", `/api/users/${of.username}/posts`, { token: who.token })).body
        .items,
    );

  async function share(
    author: Account,
    caption: string,
    audience?: "everyone" | "close_friends",
  ): Promise<PostView> {
    const media = await uploadPhoto(t.url, author, { ready: true });
    const res = await api<PostView>(t.url, "POST", "/api/posts", {
      token: author.token,
      body: { caption, mediaIds: [media.id], ...(audience && { audience }) },
    });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  /** An author, a follower on their close-friends list, and a follower who is not. */
  async function circle(): Promise<{ author: Account; friend: Account; follower: Account }> {
    const [author, friend, follower] = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
    await follow(friend, author);
    await follow(follower, author);
    expect((await addFriend(author, friend.username)).body).to.deep.equal({ closeFriend: true });
    return { author, friend, follower };
  }

  describe("the list", () => {
    it("adds, lists, takes off; adding twice or taking off someone absent changes nothing", async () => {
      const [owner, a, b] = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
      expect((await addFriend(owner, a.username)).status).to.equal(200);
      expect((await addFriend(owner, b.username)).status).to.equal(200);
      expect((await addFriend(owner, a.username)).status).to.equal(200);
      const listed = await friendsOf(owner);
      expect(listed.status, listed.text).to.equal(200);
      expect(ids(listed.body.items)).to.have.members([a.user.id, b.user.id]);
      expect(listed.body.items).to.have.length(2);

      const first = await friendsOf(owner, "?limit=1");
      expect(first.body.items).to.have.length(1);
      expect(first.body.nextCursor).to.be.a("string");
      const second = await friendsOf(owner, `?limit=1&cursor=${first.body.nextCursor}`);
      expect([...ids(first.body.items), ...ids(second.body.items)]).to.have.members([a.user.id, b.user.id]);

      expect((await removeFriend(owner, a.username)).body).to.deep.equal({ closeFriend: false });
      expect((await removeFriend(owner, a.username)).status).to.equal(200);
      expect(ids((await friendsOf(owner)).body.items)).to.deep.equal([b.user.id]);
      // Nobody else's list: b's is empty.
      expect((await friendsOf(b)).body.items).to.deep.equal([]);
    });

    it("refuses oneself, nobody, someone behind a block, and a bad cursor, with the envelope", async () => {
      const [owner, blocker] = await Promise.all([signup(t.url), signup(t.url)]);
      await api(t.url, "POST", `/api/users/${owner.username}/block`, { token: blocker.token });
      const self = await addFriend(owner, owner.username);
      expect([self.status, self.body.error?.code]).to.deep.equal([400, "CANNOT_ADD_SELF"]);
      const nobody = await addFriend(owner, uniqueName("nobody"));
      expect([nobody.status, nobody.body.error?.code]).to.deep.equal([404, "USER_NOT_FOUND"]);
      const hidden = await addFriend(owner, blocker.username);
      expect([hidden.status, hidden.body.error?.code]).to.deep.equal([404, "USER_NOT_FOUND"]);
      expect((await addFriend(owner, "not a name!")).status).to.equal(400);
      expect((await friendsOf(owner, "?cursor=nope")).status).to.equal(400);
      expect((await friendsOf(owner, "?limit=0")).status).to.equal(400);
      expect((await friendsOf(owner)).body.items).to.deep.equal([]);
    });
  });

  it("loses a friend to a block either way, for good: an unblock does not bring them back", async () => {
    const [owner, friend, other] = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
    await addFriend(owner, friend.username);
    await addFriend(owner, other.username);
    await addFriend(other, owner.username);
    await api(t.url, "POST", `/api/users/${friend.username}/block`, { token: owner.token });
    await api(t.url, "POST", `/api/users/${owner.username}/block`, { token: other.token });
    await api(t.url, "DELETE", `/api/users/${friend.username}/block`, { token: owner.token });
    await api(t.url, "DELETE", `/api/users/${owner.username}/block`, { token: other.token });
    expect((await friendsOf(owner)).body.items).to.deep.equal([]);
    expect((await friendsOf(other)).body.items).to.deep.equal([]);
  });

  describe("a close friends' post", () => {
    it("is shown to the author and their close friends, and is a 404 to every other follower", async () => {
      const { author, friend, follower } = await circle();
      const everyone = await share(author, "for all");
      const inner = await share(author, "for friends", "close_friends");
      expect(inner.audience).to.equal("close_friends");
      expect(everyone.audience).to.equal("everyone");

      for (const who of [author, friend]) {
        const seen = await get(who, `/api/posts/${inner.id}`);
        expect(seen.status, seen.text).to.equal(200);
        expect(seen.body.audience).to.equal("close_friends");
      }
      const refused = await get(follower, `/api/posts/${inner.id}`);
      expect([refused.status, (refused.body.error as { code: string }).code]).to.deep.equal([
        404,
        "POST_NOT_FOUND",
      ]);
      expect((await get(follower, `/api/posts/${everyone.id}`)).status).to.equal(200);

      // Feeds, chronological and ranked, and the profile.
      await eventually(async () => (await feedIds(friend)).includes(inner.id), "in the friend's feed");
      await eventually(async () => (await feedIds(follower)).includes(everyone.id), "the other post");
      expect(await feedIds(follower)).to.not.include(inner.id);
      expect(await feedIds(follower, "?order=ranked")).to.not.include(inner.id);
      expect(await feedIds(friend, "?order=ranked")).to.include(inner.id);
      expect(await feedIds(author)).to.include(inner.id);
      expect(await profileIds(friend, author)).to.deep.equal([inner.id, everyone.id]);
      expect(await profileIds(author, author)).to.deep.equal([inner.id, everyone.id]);
      expect(await profileIds(follower, author)).to.deep.equal([everyone.id]);

      // Nothing to like, comment on, save or share for whoever may not see it.
      for (const action of ["like", "save"]) {
        expect(
          (await api(t.url, "POST", `/api/posts/${inner.id}/${action}`, { token: follower.token })).status,
        ).to.equal(404);
      }
      const comment = await api(t.url, "POST", `/api/posts/${inner.id}/comments`, {
        token: follower.token,
        body: { text: "hi" },
      });
      expect(comment.status).to.equal(404);
      expect((await get(follower, `/api/posts/${inner.id}/comments`)).status).to.equal(404);
      expect(
        (await api(t.url, "POST", `/api/posts/${inner.id}/like`, { token: friend.token })).status,
      ).to.equal(200);
    });

    it("is backfilled into the timeline of a new follower on the list, not of one who is not", async () => {
      const [author, friend, stranger] = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
      await addFriend(author, friend.username);
      const open = await share(author, "for all");
      const inner = await share(author, "for friends", "close_friends");
      await follow(friend, author);
      await follow(stranger, author);
      const timelines = t.node.app.timeline?.timelines;
      if (timelines === undefined) throw new Error("the test node hosts timelines");
      const rows = async (who: Account) =>
        (await timelines.page(who.user.id, { limit: 50 })).map((e) => e.postId);
      await eventually(async () => (await rows(stranger)).includes(open.id), "the backfill");
      expect(await rows(stranger)).to.not.include(inner.id);
      await eventually(async () => (await rows(friend)).includes(inner.id), "the friend's backfill");
    });

    it("is on no tag page, in no search and nowhere in explore", async () => {
      const { author, friend, follower } = await circle();
      const tag = `cf${Math.random().toString(36).slice(2, 10)}`;
      const word = `word${Math.random().toString(36).slice(2, 10)}`;
      const outer = await share(author, `open ${word} #${tag}`);
      const inner = await share(author, `secret ${word} #${tag}`, "close_friends");
      // Likes make both candidates for explore.
      const fans = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
      for (const fan of fans) await follow(fan, author);
      for (const fan of fans) await addFriend(author, fan.username);
      for (const fan of fans) {
        for (const p of [outer, inner]) {
          const liked = await api(t.url, "POST", `/api/posts/${p.id}/like`, { token: fan.token });
          expect(liked.status, liked.text).to.equal(200);
        }
      }
      await discovery.explore.compute();

      for (const who of [friend, follower, author]) {
        const tagged = await api<Page<PostView>>(t.url, "GET", `/api/tags/${tag}/posts`, {
          token: who.token,
        });
        expect(ids(tagged.body.items), "the tag page").to.deep.equal([outer.id]);
      }
      await eventually(async () => {
        const found = await api<Page<PostView>>(t.url, "GET", `/api/search?q=${word}&type=posts`, {
          token: friend.token,
        });
        return ids(found.body.items).includes(outer.id);
      }, "the open post searchable");
      for (const who of [friend, follower, author]) {
        const found = await api<Page<PostView>>(t.url, "GET", `/api/search?q=${word}&type=posts`, {
          token: who.token,
        });
        expect(ids(found.body.items)).to.not.include(inner.id);
      }
      const outsider = await signup(t.url);
      const explored = await api<Page<PostView>>(t.url, "GET", "/api/explore?limit=100", {
        token: outsider.token,
      });
      expect(ids(explored.body.items)).to.include(outer.id);
      expect(ids(explored.body.items)).to.not.include(inner.id);
      const trending = await api<{ items: { tag: string; postCount: number }[] }>(
        t.url,
        "GET",
        "/api/tags/trending",
        { token: outsider.token },
      );
      expect(trending.body.items.find((item) => item.tag === tag)?.postCount ?? 1).to.equal(1);
    });

    it("tells only the mentioned close friends, and stops showing to a friend taken off the list", async () => {
      const { author, friend, follower } = await circle();
      const post = await share(author, `hey @${friend.username} and @${follower.username}`, "close_friends");
      const mentions = async (who: Account) =>
        (
          await api<Page<{ type: string; postId?: string }>>(t.url, "GET", "/api/notifications", {
            token: who.token,
          })
        ).body.items.filter((n) => n.type === "mention" && n.postId === post.id).length;
      await eventually(async () => (await mentions(friend)) === 1, "the friend told");
      expect(await mentions(follower)).to.equal(0);

      await eventually(async () => (await feedIds(friend)).includes(post.id), "in the friend's feed");
      await removeFriend(author, friend.username);
      expect((await get(friend, `/api/posts/${post.id}`)).status).to.equal(404);
      expect(await feedIds(friend)).to.not.include(post.id);
      expect(await profileIds(friend, author)).to.not.include(post.id);
    });

    it("serves its photo at signed URLs only, even from a public account", async () => {
      const { author, friend } = await circle();
      const post = await share(author, "signed", "close_friends");
      const seen = await api<PostView>(t.url, "GET", `/api/posts/${post.id}`, { token: friend.token });
      const url = seen.body.media[0]?.variants.thumb?.url;
      if (url === undefined) throw new Error("a ready photo has a thumb");
      const absolute = new URL(url, t.url).toString();
      expect((await fetch(absolute)).status).to.equal(200);
      const plain = absolute.split("?")[0] ?? absolute;
      expect(plain).to.not.equal(absolute);
      expect((await fetch(plain)).status).to.be.oneOf([403, 404]);
    });

    it("refuses an audience that is not one", async () => {
      const author = await signup(t.url);
      const media = await uploadPhoto(t.url, author);
      const res = await api<{ error: { code: string } }>(t.url, "POST", "/api/posts", {
        token: author.token,
        body: { caption: "x", mediaIds: [media.id], audience: "followers_of_followers" },
      });
      expect([res.status, res.body.error.code]).to.deep.equal([400, "VALIDATION_FAILED"]);
    });
  });

  describe("a close friends' story", () => {
    async function story(author: Account, audience?: "close_friends"): Promise<StoryView> {
      const media = await uploadPhoto(t.url, author);
      const res = await api<StoryView>(t.url, "POST", "/api/stories", {
        token: author.token,
        body: { mediaId: media.id, ...(audience && { audience }) },
      });
      expect(res.status, res.text).to.equal(201);
      return res.body;
    }
    const trayOf = async (who: Account, author: Account) =>
      ids(
        (
          await api<{ items: StoryGroup[] }>(t.url, "GET", "/api/stories/feed", { token: who.token })
        ).body.items.find((group) => group.user.id === author.user.id)?.stories ?? [],
      );
    const storiesOf = async (who: Account, author: Account) =>
      ids(
        (
          await api<{ items: StoryView[] }>(t.url, "GET", `/api/users/${author.username}/stories`, {
            token: who.token,
          })
        ).body.items,
      );

    it("is in the tray and the list of close friends only, and a 404 to view for anyone else", async () => {
      const { author, friend, follower } = await circle();
      const open = await story(author);
      const inner = await story(author, "close_friends");
      expect([open.audience, inner.audience]).to.deep.equal(["everyone", "close_friends"]);

      expect(await trayOf(friend, author)).to.deep.equal([open.id, inner.id]);
      expect(await storiesOf(friend, author)).to.deep.equal([open.id, inner.id]);
      expect(await trayOf(author, author)).to.deep.equal([open.id, inner.id]);
      expect(await trayOf(follower, author)).to.deep.equal([open.id]);
      expect(await storiesOf(follower, author)).to.deep.equal([open.id]);

      const viewed = await api(t.url, "POST", `/api/stories/${inner.id}/view`, { token: follower.token });
      expect(viewed.status).to.equal(404);
      expect(
        (await api(t.url, "POST", `/api/stories/${inner.id}/view`, { token: friend.token })).status,
      ).to.equal(204);

      // A close friends' story alone leaves the author out of the tray of everyone else.
      const [loner, itsFriend, itsFollower] = await Promise.all([
        signup(t.url),
        signup(t.url),
        signup(t.url),
      ]);
      await follow(itsFriend, loner);
      await follow(itsFollower, loner);
      await addFriend(loner, itsFriend.username);
      const only = await story(loner, "close_friends");
      expect(await trayOf(itsFriend, loner)).to.deep.equal([only.id]);
      const tray = (
        await api<{ items: StoryGroup[] }>(t.url, "GET", "/api/stories/feed", { token: itsFollower.token })
      ).body.items;
      expect(tray.map((group) => group.user.id)).to.not.include(loner.user.id);
    });
  });
});
