import { expect } from "chai";
import type { CommentView, PostView, StoryGroup, UserView } from "../../lib/contracts/objects";
import type { Page } from "../../lib/validation/page";
import { eventually } from "../support/eventually";
import { createPost, uploadPhoto } from "../support/media";
import { api, signup, startTestNode, type Account, type TestNode } from "../support/test-node";

interface ErrorBody {
  error?: { code: string };
}

/** Issue #17: deleting one's account hides it from everyone at once; signing in within the grace takes it back. */
describe("deleting an account", function () {
  this.timeout(120_000);
  let t: TestNode;
  let offsetMs = 0;
  before(async () => {
    t = await startTestNode({}, { now: () => Date.now() + offsetMs });
  });
  after(() => t.stop());
  beforeEach(() => {
    offsetMs = 0;
  });

  const deleteMe = (who: Account, body: Record<string, unknown>) =>
    api<{ eraseAfter: string } & ErrorBody>(t.url, "DELETE", "/api/me", { token: who.token, body });
  const login = (who: Account) =>
    api<{ token: string } & ErrorBody>(t.url, "POST", "/api/auth/login", {
      body: { login: who.username, password: who.password },
    });
  const ids = (items: readonly { id: string }[] | undefined) => (items ?? []).map((item) => item.id);

  /** What `reader` can see of `who`: each place the account shows up. */
  const seen = async (reader: Account, who: Account, post: PostView, tag: string, commented: PostView) => {
    const [profile, postRead, feed, tagPage, comments, following, tray, search] = await Promise.all([
      api(t.url, "GET", `/api/users/${who.username}`, { token: reader.token }),
      api(t.url, "GET", `/api/posts/${post.id}`, { token: reader.token }),
      api<Page<PostView>>(t.url, "GET", "/api/feed", { token: reader.token }),
      api<Page<PostView>>(t.url, "GET", `/api/tags/${tag}/posts`, { token: reader.token }),
      api<Page<CommentView>>(t.url, "GET", `/api/posts/${commented.id}/comments`, { token: reader.token }),
      api<Page<UserView>>(t.url, "GET", `/api/users/${reader.username}/following`, { token: reader.token }),
      api<StoryGroup[] | Page<StoryGroup>>(t.url, "GET", "/api/stories/feed", { token: reader.token }),
      api<Page<UserView>>(t.url, "GET", `/api/search?type=users&q=${who.username}`, { token: reader.token }),
    ]);
    const trayGroups = Array.isArray(tray.body) ? tray.body : tray.body.items;
    return {
      profile: profile.status,
      post: postRead.status,
      inFeed: ids(feed.body.items).includes(post.id),
      onTagPage: ids(tagPage.body.items).includes(post.id),
      comment: (comments.body.items ?? []).some((c) => c.author.id === who.user.id),
      followed: ids(following.body.items).includes(who.user.id),
      story: trayGroups.some((g) => g.user.id === who.user.id),
      searchable: ids(search.body.items).includes(who.user.id),
    };
  };

  it("hides the account everywhere at once and ends its sessions; signing in within the grace takes it back", async () => {
    const [ada, bob] = await Promise.all([signup(t.url), signup(t.url)]);
    const second = await login(ada);
    expect(
      (await api(t.url, "POST", `/api/users/${ada.username}/follow`, { token: bob.token })).status,
    ).to.equal(200);
    const tag = `gone${Math.random().toString(36).slice(2, 8)}`;
    const post = await createPost(t.url, ada, `last light #${tag}`);
    const bobs = await createPost(t.url, bob, "my post");
    await api(t.url, "POST", `/api/posts/${bobs.id}/comments`, {
      token: ada.token,
      body: { text: "lovely" },
    });
    const media = await uploadPhoto(t.url, ada, { ready: true });
    expect(
      (await api(t.url, "POST", "/api/stories", { token: ada.token, body: { mediaId: media.id } })).status,
    ).to.equal(201);
    await eventually(async () => (await seen(bob, ada, post, tag, bobs)).searchable, "ada is searchable");
    expect(await seen(bob, ada, post, tag, bobs)).to.deep.equal({
      profile: 200,
      post: 200,
      inFeed: true,
      onTagPage: true,
      comment: true,
      followed: true,
      story: true,
      searchable: true,
    });

    const wrong = await deleteMe(ada, { password: "not my password" });
    expect([wrong.status, wrong.body.error?.code]).to.deep.equal([400, "PASSWORD_WRONG"]);
    expect((await deleteMe(ada, {})).status).to.equal(400);
    const deleted = await deleteMe(ada, { password: ada.password });
    expect(deleted.status, deleted.text).to.equal(202);
    const graceDays = (Date.parse(deleted.body.eraseAfter) - Date.now()) / (24 * 3600_000);
    expect(graceDays).to.be.within(29.9, 30.1);

    // Every session ends, and the account is gone for everyone, in every place it showed.
    for (const token of [ada.token, second.body.token]) {
      expect((await api(t.url, "GET", "/api/me", { token })).status).to.equal(401);
    }
    expect(await seen(bob, ada, post, tag, bobs)).to.deep.equal({
      profile: 404,
      post: 404,
      inFeed: false,
      onTagPage: false,
      comment: false,
      followed: false,
      story: false,
      searchable: false,
    });
    // The username stays taken through the grace period.
    const taken = await api<ErrorBody>(t.url, "POST", "/api/auth/signup", {
      body: {
        username: ada.username,
        email: `x${ada.username}@example.com`,
        password: "correct horse battery",
      },
    });
    expect([taken.status, taken.body.error?.code]).to.deep.equal([409, "USERNAME_TAKEN"]);

    // Signing in again within the grace takes the deletion back: everything shows again.
    const back = await login(ada);
    expect(back.status, back.text).to.equal(200);
    await eventually(
      async () => (await seen(bob, ada, post, tag, bobs)).inFeed,
      "the post is back in the feed",
    );
    expect(await seen(bob, ada, post, tag, bobs)).to.include({ profile: 200, post: 200, comment: true });
  });

  it("refuses sign-in once the grace has passed: the account stays hidden", async () => {
    const [ada, bob] = await Promise.all([signup(t.url), signup(t.url)]);
    expect((await deleteMe(ada, { password: ada.password })).status).to.equal(202);
    offsetMs = 31 * 24 * 3600_000;
    const late = await login(ada);
    expect(late.status).to.equal(401);
    // A month on, Bob signs in afresh (his token has run out too): Ada is still nowhere.
    const bobNow = await login(bob);
    expect(bobNow.status).to.equal(200);
    const profile = await api(t.url, "GET", `/api/users/${ada.username}`, { token: bobNow.body.token });
    expect(profile.status).to.equal(404);
  });
});
