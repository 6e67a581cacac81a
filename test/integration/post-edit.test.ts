import { expect } from "chai";
import type { PostView } from "../../lib/contracts/objects";
import type { Page } from "../../lib/validation/page";
import { api, signup, startTestNode, uniqueName, type Account, type TestNode } from "../support/test-node";
import { createPost } from "../support/media";
import { eventually } from "../support/eventually";

describe("editing a post's caption", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(() => t.stop());

  const edit = (who: Account, id: string, caption: string) =>
    api<PostView & { error?: { code: string } }>(t.url, "PATCH", `/api/posts/${id}`, {
      token: who.token,
      body: { caption },
    });
  const tagPage = async (who: Account, tag: string) =>
    (await api<Page<PostView>>(t.url, "GET", `/api/tags/${tag}/posts`, { token: who.token })).body.items.map(
      (p) => p.id,
    );
  const searchPosts = async (who: Account, q: string) =>
    (
      await api<Page<PostView>>(t.url, "GET", `/api/search?q=${encodeURIComponent(q)}&type=posts`, {
        token: who.token,
      })
    ).body.items.map((p) => p.id);
  const mentionsOf = async (who: Account, postId: string) =>
    (
      await api<Page<{ type: string; postId?: string }>>(t.url, "GET", "/api/notifications", {
        token: who.token,
      })
    ).body.items.filter((n) => n.type === "mention" && n.postId === postId).length;

  it("changes the caption, its tags and its search words, keeps media and author, and says when", async () => {
    const ada = await signup(t.url);
    const reader = await signup(t.url);
    const tag = (prefix: string) => uniqueName(prefix).replaceAll(/[^a-z0-9]/g, "");
    const [oldTag, newTag, kept] = [tag("old"), tag("new"), tag("kept")];
    const post = await createPost(t.url, ada, `sunrise #${oldTag} #${kept}`);
    expect(post.editedAt).to.equal(undefined);
    await eventually(async () => (await tagPage(reader, oldTag)).includes(post.id), "the old tag page");

    const res = await edit(ada, post.id, `moonrise over the bay #${newTag} #${kept}`);
    expect(res.status, res.text).to.equal(200);
    expect(res.body.caption).to.equal(`moonrise over the bay #${newTag} #${kept}`);
    expect(res.body.hashtags).to.deep.equal([newTag, kept]);
    expect(res.body.media.map((m) => m.id)).to.deep.equal(post.media.map((m) => m.id));
    expect(res.body.author.id).to.equal(ada.user.id);
    expect(res.body.editedAt).to.be.a("string");
    expect(Date.parse(res.body.editedAt ?? "")).to.be.at.least(Date.parse(post.createdAt));
    expect(res.body.createdAt).to.equal(post.createdAt);

    const seen = await api<PostView>(t.url, "GET", `/api/posts/${post.id}`, { token: reader.token });
    expect([seen.body.caption, seen.body.editedAt]).to.deep.equal([res.body.caption, res.body.editedAt]);
    expect(await tagPage(reader, oldTag)).not.to.include(post.id);
    expect(await tagPage(reader, newTag)).to.include(post.id);
    expect(await tagPage(reader, kept)).to.include(post.id);
    await eventually(
      async () => (await searchPosts(reader, "moonrise")).includes(post.id),
      "the new words found",
    );
    await eventually(
      async () => !(await searchPosts(reader, "sunrise")).includes(post.id),
      "the old words gone",
    );
  });

  it("shows the edit in the followers' feeds, whose pages were written before it", async () => {
    const ada = await signup(t.url);
    const fan = await signup(t.url);
    await api(t.url, "POST", `/api/users/${ada.username}/follow`, { token: fan.token });
    const post = await createPost(t.url, ada, "first words");
    const feedCaption = async () =>
      (await api<Page<PostView>>(t.url, "GET", "/api/feed", { token: fan.token })).body.items.find(
        (p) => p.id === post.id,
      )?.caption;
    await eventually(async () => (await feedCaption()) === "first words", "the post in the feed");
    await edit(ada, post.id, "second words");
    expect(await feedCaption()).to.equal("second words");
  });

  it("tells someone mentioned anew once, and nobody twice", async () => {
    const ada = await signup(t.url);
    const [bob, cat] = [await signup(t.url), await signup(t.url)];
    const post = await createPost(t.url, ada, `with @${bob.username}`);
    await eventually(async () => (await mentionsOf(bob, post.id)) === 1, "bob told of the post");
    await edit(ada, post.id, `with @${bob.username} and @${cat.username}`);
    await eventually(async () => (await mentionsOf(cat, post.id)) === 1, "cat told of the edit");
    await edit(ada, post.id, `with @${bob.username} and @${cat.username}, fixed a typo`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await mentionsOf(bob, post.id)).to.equal(1);
    expect(await mentionsOf(cat, post.id)).to.equal(1);
  });

  it("answers 403 to someone else who sees the post, 404 to whoever does not, 400 to a bad caption", async () => {
    const ada = await signup(t.url);
    const bob = await signup(t.url);
    const post = await createPost(t.url, ada, "mine");
    const other = await edit(bob, post.id, "yours now");
    expect(other.status).to.equal(403);
    expect(other.body.error?.code).to.equal("NOT_AUTHOR");
    await api(t.url, "POST", `/api/users/${bob.username}/block`, { token: ada.token });
    expect((await edit(bob, post.id, "yours now")).status).to.equal(404);
    expect((await edit(ada, "123", "nothing")).status).to.equal(404);
    expect((await edit(ada, post.id, "x".repeat(2201))).status).to.equal(400);
    const extra = await api(t.url, "PATCH", `/api/posts/${post.id}`, {
      token: ada.token,
      body: { caption: "ok", mediaIds: ["1"] },
    });
    expect(extra.status, "media cannot be changed").to.equal(400);
    const unchanged = await api<PostView>(t.url, "GET", `/api/posts/${post.id}`, { token: ada.token });
    expect([unchanged.body.caption, unchanged.body.editedAt]).to.deep.equal(["mine", undefined]);
  });
});
