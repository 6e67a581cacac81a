import { expect } from "chai";
import type { PostView, StoryGroup, StoryView } from "../../lib/contracts/objects";
import type { Discovery } from "../../lib/discovery";
import type { Page } from "../../lib/validation/page";
import { eventually } from "../support/eventually";
import { createPost, uploadPhoto } from "../support/media";
import { api, signup, startTestNode, uniqueName, type Account, type TestNode } from "../support/test-node";

interface MuteBody {
  muting?: boolean;
  until?: string | null;
  error?: { code: string };
}

/** Issue #16: mutes, for a time or until undone, felt by the muter alone. */
describe("mutes", function () {
  this.timeout(120_000);
  let t: TestNode;
  let discovery: Discovery;
  let offsetMs = 0;
  before(async () => {
    t = await startTestNode({}, { now: () => Date.now() + offsetMs });
    const built = t.node.app.discovery;
    if (built === undefined) throw new Error("the test node hosts discovery");
    discovery = built;
  });
  after(() => t.stop());
  beforeEach(() => {
    offsetMs = 0;
  });

  const mute = (who: Account, whom: string, body: Record<string, unknown> = {}) =>
    api<MuteBody>(t.url, "POST", `/api/users/${whom}/mute`, { token: who.token, body });
  const unmute = (who: Account, whom: string) =>
    api<MuteBody>(t.url, "DELETE", `/api/users/${whom}/mute`, { token: who.token });
  const state = (who: Account, whom: string) =>
    api<MuteBody>(t.url, "GET", `/api/users/${whom}/mute`, { token: who.token });
  const follow = async (who: Account, whom: Account) => {
    const res = await api(t.url, "POST", `/api/users/${whom.username}/follow`, { token: who.token });
    expect(res.status, res.text).to.equal(200);
  };
  const ids = (items: readonly { id: string }[]) => items.map((item) => item.id);
  const feedIds = async (who: Account, query = "") =>
    ids((await api<Page<PostView>>(t.url, "GET", `/api/feed${query}`, { token: who.token })).body.items);

  it("mutes, says so, lists, and unmutes; refuses oneself, nobody and a bad duration", async () => {
    const [muter, loud, other] = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
    expect((await state(muter, loud.username)).body).to.deep.equal({ muting: false, until: null });
    expect((await mute(muter, loud.username)).body).to.deep.equal({ muting: true, until: null });
    const timed = await mute(muter, other.username, { seconds: 3600 });
    expect(timed.body.muting).to.equal(true);
    expect(Date.parse(timed.body.until ?? "") - Date.now()).to.be.within(3_500_000, 3_700_000);
    expect((await state(muter, loud.username)).body).to.deep.equal({ muting: true, until: null });

    const listed = await api<Page<{ user: { id: string }; until: string | null }>>(
      t.url,
      "GET",
      "/api/me/mutes",
      { token: muter.token },
    );
    expect(listed.status, listed.text).to.equal(200);
    expect(listed.body.items.map((m) => m.user.id)).to.have.members([loud.user.id, other.user.id]);
    // Nobody else's: the muted do not see it, and their view of the muter is as it was.
    expect(
      (await api<Page<unknown>>(t.url, "GET", "/api/me/mutes", { token: loud.token })).body.items,
    ).to.deep.equal([]);

    expect((await unmute(muter, loud.username)).body).to.deep.equal({ muting: false, until: null });
    expect((await state(muter, loud.username)).body.muting).to.equal(false);
    // Muting again for good replaces a timed mute.
    expect((await mute(muter, other.username)).body).to.deep.equal({ muting: true, until: null });

    const self = await mute(muter, muter.username);
    expect([self.status, self.body.error?.code]).to.deep.equal([400, "CANNOT_MUTE_SELF"]);
    const nobody = await mute(muter, uniqueName("nobody"));
    expect([nobody.status, nobody.body.error?.code]).to.deep.equal([404, "USER_NOT_FOUND"]);
    for (const seconds of [0, 59, 1.5, "60", 31_536_001]) {
      const bad = await mute(muter, loud.username, { seconds });
      expect([bad.status, bad.body.error?.code], String(seconds)).to.deep.equal([400, "VALIDATION_FAILED"]);
    }
  });

  it("takes the muted account's posts out of the feeds, ranked too, and brings them back on unmute", async () => {
    const [reader, loud, quiet] = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
    await follow(reader, loud);
    await follow(reader, quiet);
    const before = await createPost(t.url, loud, "before the mute");
    const kept = await createPost(t.url, quiet, "still here");
    await eventually(async () => (await feedIds(reader)).includes(before.id), "the post in the feed");

    await mute(reader, loud.username);
    const during = await createPost(t.url, loud, "during the mute");
    await eventually(async () => (await feedIds(reader)).includes(kept.id), "the other post");
    for (const query of ["", "?order=ranked"]) {
      const feed = await feedIds(reader, query);
      expect(feed, query).to.not.include(before.id);
      expect(feed, query).to.not.include(during.id);
      expect(feed, query).to.include(kept.id);
    }
    // Their profile and their posts stay open to the muter, who chose to look.
    expect((await api(t.url, "GET", `/api/posts/${during.id}`, { token: reader.token })).status).to.equal(
      200,
    );

    await unmute(reader, loud.username);
    await eventually(async () => {
      const feed = await feedIds(reader);
      return feed.includes(before.id) && feed.includes(during.id);
    }, "both posts back, none deleted from the timeline");
  });

  it("takes effect on the next page of a ranked feed ranked before the mute", async () => {
    const [reader, loud, quiet] = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
    await follow(reader, loud);
    await follow(reader, quiet);
    const posts: PostView[] = [];
    for (let i = 0; i < 3; i++) {
      posts.push(await createPost(t.url, loud, `loud ${i}`), await createPost(t.url, quiet, `quiet ${i}`));
    }
    const ranked = (query: string) =>
      api<Page<PostView>>(t.url, "GET", `/api/feed?order=ranked${query}`, { token: reader.token });
    await eventually(async () => (await feedIds(reader)).length === 6, "every post in the feed");
    const first = await ranked("&limit=2");
    expect(first.body.nextCursor).to.be.a("string");
    await mute(reader, loud.username);
    const rest = await ranked(`&limit=10&cursor=${first.body.nextCursor}`);
    expect(rest.status, rest.text).to.equal(200);
    expect(rest.body.items.map((p) => p.author.id)).to.not.include(loud.user.id);
    expect(rest.body.items.length).to.be.above(0);
  });

  it("ends a mute for a time when its time is up", async () => {
    const [reader, loud] = await Promise.all([signup(t.url), signup(t.url)]);
    await follow(reader, loud);
    const post = await createPost(t.url, loud, "timed");
    await eventually(async () => (await feedIds(reader)).includes(post.id), "the post in the feed");
    await mute(reader, loud.username, { seconds: 60 });
    expect(await feedIds(reader)).to.not.include(post.id);
    offsetMs = 61_000;
    expect(await feedIds(reader)).to.include(post.id);
    expect((await state(reader, loud.username)).body).to.deep.equal({ muting: false, until: null });
  });

  it("leaves the muted account's stories out of the tray, and their likes out of the notifications", async () => {
    const [reader, loud] = await Promise.all([signup(t.url), signup(t.url)]);
    await follow(reader, loud);
    await follow(loud, reader);
    const media = await uploadPhoto(t.url, loud);
    const story = await api<StoryView>(t.url, "POST", "/api/stories", {
      token: loud.token,
      body: { mediaId: media.id },
    });
    expect(story.status, story.text).to.equal(201);
    const tray = async () =>
      (
        await api<{ items: StoryGroup[] }>(t.url, "GET", "/api/stories/feed", { token: reader.token })
      ).body.items.map((group) => group.user.id);
    expect(await tray()).to.include(loud.user.id);
    await mute(reader, loud.username);
    expect(await tray()).to.not.include(loud.user.id);
    const theirs = await api<{ items: StoryView[] }>(t.url, "GET", `/api/users/${loud.username}/stories`, {
      token: reader.token,
    });
    expect(ids(theirs.body.items)).to.deep.equal([story.body.id]);

    const mine = await createPost(t.url, reader, "like this");
    const likesOf = async () =>
      (
        await api<Page<{ type: string; postId?: string; actor: { id: string } }>>(
          t.url,
          "GET",
          "/api/notifications",
          {
            token: reader.token,
          },
        )
      ).body.items.filter((n) => n.type === "like" && n.postId === mine.id);
    expect((await api(t.url, "POST", `/api/posts/${mine.id}/like`, { token: loud.token })).status).to.equal(
      200,
    );
    const other = await signup(t.url);
    expect((await api(t.url, "POST", `/api/posts/${mine.id}/like`, { token: other.token })).status).to.equal(
      200,
    );
    await eventually(async () => (await likesOf()).length > 0, "the other like told");
    expect((await likesOf()).map((n) => n.actor.id)).to.deep.equal([other.user.id]);
  });

  it("keeps the muted account's posts out of the muter's explore, not anyone else's", async () => {
    const [reader, loud, outsider] = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
    const hot = await createPost(t.url, loud, "hot");
    const fans = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
    for (const fan of fans) {
      expect((await api(t.url, "POST", `/api/posts/${hot.id}/like`, { token: fan.token })).status).to.equal(
        200,
      );
    }
    await discovery.explore.compute();
    const explore = async (who: Account) =>
      ids(
        (await api<Page<PostView>>(t.url, "GET", "/api/explore?limit=100", { token: who.token })).body.items,
      );
    expect(await explore(reader)).to.include(hot.id);
    await mute(reader, loud.username);
    expect(await explore(reader)).to.not.include(hot.id);
    expect(await explore(outsider)).to.include(hot.id);
  });
});
