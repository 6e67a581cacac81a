import { expect } from "chai";
import type { Page } from "../../lib/validation/page";
import type { UserView } from "../../lib/accounts/user-view";
import type { CommentView } from "../../lib/interactions/comments";
import type { PostView } from "../../lib/posts/posts";
import {
  api,
  signup,
  startTestNode,
  type Account,
  type ErrorBody,
  type TestNode,
} from "../support/test-node";
import { createPost } from "../support/media";

describe("likes, comments, saves and shares through the gateway", function () {
  this.timeout(120_000);
  let t: TestNode;

  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.stop();
  });

  const post = (owner: Account, caption?: string) => createPost(t.url, owner, caption);

  const getPost = async (who: Account, id: string) =>
    (await api<PostView>(t.url, "GET", `/api/posts/${id}`, { token: who.token })).body;

  async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error("it never happened");
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("likes and unlikes idempotently, with exact counts under concurrent likes, and lists the likers", async () => {
    const author = await signup(t.url);
    const p = await post(author);
    expect(p).to.deep.include({ likeCount: 0, commentCount: 0, likedByMe: false, savedByMe: false });
    const fans = await Promise.all(Array.from({ length: 12 }, () => signup(t.url)));
    const answers = await Promise.all(
      fans.map((fan) => api(t.url, "POST", `/api/posts/${p.id}/like`, { token: fan.token })),
    );
    expect(answers.map((a) => a.status)).to.deep.equal(fans.map(() => 200));
    const again = await api(t.url, "POST", `/api/posts/${p.id}/like`, { token: fans[0]!.token });
    expect(again.body).to.deep.equal({ liked: true, likeCount: 12 });
    expect(await getPost(fans[0]!, p.id)).to.deep.include({ likeCount: 12, likedByMe: true });
    expect(await getPost(author, p.id)).to.deep.include({ likeCount: 12, likedByMe: false });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=5${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await api<Page<UserView>>(t.url, "GET", `/api/posts/${p.id}/likes${query}`, {
        token: author.token,
      });
      expect(res.status).to.equal(200);
      seen.push(...res.body.items.map((u) => u.username));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).to.have.members(fans.map((f) => f.username));
    expect(seen).to.have.length(12);

    for (let i = 0; i < 2; i++) {
      const off = await api(t.url, "DELETE", `/api/posts/${p.id}/like`, { token: fans[0]!.token });
      expect([off.status, off.body]).to.deep.equal([200, { liked: false, likeCount: 11 }]);
    }
    expect(await getPost(fans[0]!, p.id)).to.deep.include({ likeCount: 11, likedByMe: false });
  });

  it("answers 404 for what the caller may not see and 400 for a bad id or cursor", async () => {
    const [owner, stranger] = [await signup(t.url), await signup(t.url)];
    await api(t.url, "PATCH", "/api/me", { token: owner.token, body: { isPrivate: true } });
    const hidden = await post(owner);
    for (const [method, route, body] of [
      ["POST", `/api/posts/${hidden.id}/like`, undefined],
      ["GET", `/api/posts/${hidden.id}/likes`, undefined],
      ["POST", `/api/posts/${hidden.id}/comments`, { text: "hi" }],
      ["GET", `/api/posts/${hidden.id}/comments`, undefined],
      ["POST", `/api/posts/${hidden.id}/save`, undefined],
      ["POST", `/api/posts/${hidden.id}/share`, { usernames: [owner.username] }],
    ] as const) {
      const res = await api<ErrorBody>(t.url, method, route, { token: stranger.token, body });
      expect(res.status, `${method} ${route}`).to.equal(404);
    }
    const own = await post(stranger);
    const bad = await api<ErrorBody>(t.url, "GET", `/api/posts/${own.id}/likes?cursor=abc`, {
      token: stranger.token,
    });
    expect([bad.status, bad.body.error.code]).to.deep.equal([400, "INVALID_CURSOR"]);
    expect(
      (await api(t.url, "POST", "/api/posts/not-an-id/like", { token: stranger.token })).status,
    ).to.equal(400);
  });

  it("comments: 201 object, replies within the post, oldest first, deletion rights and exact counts", async () => {
    const [author, fan, other] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    const [p, elsewhere] = [await post(author), await post(author)];
    const comment = (who: Account, postId: string, body: unknown) =>
      api<CommentView & ErrorBody>(t.url, "POST", `/api/posts/${postId}/comments`, {
        token: who.token,
        body,
      });

    const first = await comment(fan, p.id, { text: "  first  " });
    expect(first.status, first.text).to.equal(201);
    expect(first.body).to.deep.include({ postId: p.id, text: "first", replyToId: null });
    expect(first.body.author.username).to.equal(fan.username);
    const reply = await comment(author, p.id, { text: "thanks", replyToId: first.body.id });
    expect([reply.status, reply.body.replyToId]).to.deep.equal([201, first.body.id]);
    const foreign = await comment(fan, elsewhere.id, { text: "other post" });
    expect((await comment(fan, p.id, { text: "x", replyToId: foreign.body.id })).status).to.equal(404);
    for (const body of [{ text: "" }, { text: "x".repeat(2201) }, { text: "x", extra: true }, {}]) {
      expect((await comment(fan, p.id, body)).status, JSON.stringify(body).slice(0, 40)).to.equal(400);
    }
    const third = await comment(other, p.id, { text: "third" });

    const list = await api<Page<CommentView>>(t.url, "GET", `/api/posts/${p.id}/comments?limit=2`, {
      token: other.token,
    });
    expect(list.body.items.map((c) => c.text)).to.deep.equal(["first", "thanks"]);
    const next = await api<Page<CommentView>>(
      t.url,
      "GET",
      `/api/posts/${p.id}/comments?limit=2&cursor=${list.body.nextCursor}`,
      { token: other.token },
    );
    expect(next.body.items.map((c) => c.text)).to.deep.equal(["third"]);
    expect((await getPost(other, p.id)).commentCount).to.equal(3);

    const del = (who: Account, id: string) =>
      api<ErrorBody>(t.url, "DELETE", `/api/comments/${id}`, { token: who.token });
    expect((await del(other, first.body.id)).status).to.equal(403);
    expect((await del(fan, first.body.id)).status).to.equal(204);
    expect((await del(author, third.body.id)).status).to.equal(204);
    expect((await del(author, third.body.id)).status).to.equal(404);
    expect((await getPost(other, p.id)).commentCount).to.equal(1);
  });

  it("answers 404 to a reply to a comment that is not there, was deleted, or is hidden by a block", async () => {
    const [author, fan, blocker] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    const p = await post(author);
    const comment = (who: Account, body: unknown) =>
      api<CommentView & ErrorBody>(t.url, "POST", `/api/posts/${p.id}/comments`, { token: who.token, body });
    const gone = await comment(fan, { text: "soon gone" });
    expect(
      (await api(t.url, "DELETE", `/api/comments/${gone.body.id}`, { token: fan.token })).status,
    ).to.equal(204);
    const blockers = await comment(blocker, { text: "not for you" });
    await api(t.url, "POST", `/api/users/${fan.username}/block`, { token: blocker.token });

    for (const replyToId of ["123456789012345678", gone.body.id, p.id, blockers.body.id]) {
      const res = await comment(fan, { text: "reply", replyToId });
      expect([res.status, res.body.error?.code], replyToId).to.deep.equal([404, "COMMENT_NOT_FOUND"]);
    }
    expect((await getPost(author, p.id)).commentCount).to.equal(1);
    const fine = await comment(author, { text: "reply", replyToId: blockers.body.id });
    expect(fine.status, fine.text).to.equal(201);
  });

  it("saves: idempotent, listed most recently saved first, gone from the list when unsaved or deleted", async () => {
    const [author, reader] = [await signup(t.url), await signup(t.url)];
    const [a, b, c] = [await post(author, "a"), await post(author, "b"), await post(author, "c")];
    for (const p of [b, a, c, a]) {
      const res = await api(t.url, "POST", `/api/posts/${p.id}/save`, { token: reader.token });
      expect([res.status, res.body]).to.deep.equal([200, { saved: true }]);
    }
    const saved = async () =>
      (await api<Page<PostView>>(t.url, "GET", "/api/me/saved", { token: reader.token })).body.items.map(
        (p) => p.caption,
      );
    expect(await saved()).to.deep.equal(["c", "a", "b"]);
    expect(await getPost(reader, a.id)).to.deep.include({ savedByMe: true });
    const off = await api(t.url, "DELETE", `/api/posts/${c.id}/save`, { token: reader.token });
    expect([off.status, off.body]).to.deep.equal([200, { saved: false }]);
    await api(t.url, "DELETE", `/api/posts/${b.id}`, { token: author.token });
    expect(await saved()).to.deep.equal(["a"]);
    const page = await api<Page<PostView>>(t.url, "GET", "/api/me/saved?limit=1", { token: reader.token });
    expect(page.body.items[0]?.savedByMe).to.equal(true);
  });

  it("lists the posts one liked, newest like first, without those unliked, deleted or hidden since", async () => {
    const [author, other, reader] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    const [a, b, c] = [await post(author, "a"), await post(author, "b"), await post(other, "c")];
    for (const p of [b, a, c]) {
      const res = await api(t.url, "POST", `/api/posts/${p.id}/like`, { token: reader.token });
      expect(res.status).to.equal(200);
    }
    // Liking again changes nothing: no second row.
    await api(t.url, "POST", `/api/posts/${b.id}/like`, { token: reader.token });
    const liked = async (query = "") =>
      (await api<Page<PostView>>(t.url, "GET", `/api/me/liked${query}`, { token: reader.token })).body.items;
    expect((await liked()).map((p) => p.caption)).to.deep.equal(["c", "a", "b"]);
    expect((await liked("?limit=1"))[0]?.likedByMe).to.equal(true);
    // Nobody else's list.
    expect(
      (await api<Page<PostView>>(t.url, "GET", "/api/me/liked", { token: author.token })).body.items,
    ).to.deep.equal([]);

    await api(t.url, "DELETE", `/api/posts/${a.id}/like`, { token: reader.token });
    await api(t.url, "DELETE", `/api/posts/${b.id}`, { token: author.token });
    await api(t.url, "POST", `/api/users/${reader.username}/block`, { token: other.token });
    expect(await liked()).to.deep.equal([]);
    // Liked again, it comes back first.
    await api(t.url, "POST", `/api/posts/${a.id}/like`, { token: reader.token });
    expect((await liked()).map((p) => p.caption)).to.deep.equal(["a"]);
  });

  it("lists one's own comments, newest first, without those deleted or removed", async () => {
    const [author, commenter] = [await signup(t.url), await signup(t.url)];
    const [a, b] = [await post(author, "a"), await post(author, "b")];
    const say = async (p: PostView, text: string) => {
      const res = await api<CommentView>(t.url, "POST", `/api/posts/${p.id}/comments`, {
        token: commenter.token,
        body: { text },
      });
      expect(res.status, res.text).to.equal(201);
      return res.body;
    };
    const first = await say(a, "first");
    await say(b, "second");
    await say(a, "third");
    const mine = async (who = commenter) =>
      (await api<Page<CommentView>>(t.url, "GET", "/api/me/comments", { token: who.token })).body.items;
    expect((await mine()).map((c) => [c.text, c.postId])).to.deep.equal([
      ["third", a.id],
      ["second", b.id],
      ["first", a.id],
    ]);
    expect(await mine(author)).to.deep.equal([]);
    // Deleted by the post's author: gone from the commenter's list too.
    expect(
      (await api(t.url, "DELETE", `/api/comments/${first.id}`, { token: author.token })).status,
    ).to.equal(204);
    expect((await mine()).map((c) => c.text)).to.deep.equal(["third", "second"]);
    const page = await api<Page<CommentView>>(t.url, "GET", "/api/me/comments?limit=1", {
      token: commenter.token,
    });
    expect(page.body.items.map((c) => c.text)).to.deep.equal(["third"]);
    expect(page.body.nextCursor).to.be.a("string");
  });

  it("shares a post as a DM, refusing unknown usernames by name", async () => {
    const [author, sender, friend] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    const p = await post(author);
    const unknown = await api<ErrorBody>(t.url, "POST", `/api/posts/${p.id}/share`, {
      token: sender.token,
      body: { usernames: [friend.username, "nobody_by_this_name"] },
    });
    expect([unknown.status, unknown.body.error.code]).to.deep.equal([400, "UNKNOWN_USERNAMES"]);
    expect(unknown.body.error.message).to.contain("nobody_by_this_name");
    const empty = await api(t.url, "POST", `/api/posts/${p.id}/share`, {
      token: sender.token,
      body: { usernames: [] },
    });
    expect(empty.status).to.equal(400);

    const res = await api(t.url, "POST", `/api/posts/${p.id}/share`, {
      token: sender.token,
      body: { usernames: [friend.username] },
    });
    expect([res.status, res.body]).to.deep.equal([201, { sent: 1 }]);
    await eventually(async () => {
      const convs = await api<Page<{ lastMessage: { postId?: string } | null }>>(
        t.url,
        "GET",
        "/api/conversations",
        { token: friend.token },
      );
      return convs.body.items.some((c) => c.lastMessage?.postId === p.id);
    });
  });

  it("notifies the author of a like and a comment, and users mentioned in captions and comments", async () => {
    const [author, fan, named] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    const p = await post(author, `with @${named.username}`);
    await api(t.url, "POST", `/api/posts/${p.id}/like`, { token: fan.token });
    const c = await api<CommentView>(t.url, "POST", `/api/posts/${p.id}/comments`, {
      token: fan.token,
      body: { text: `look @${named.username}` },
    });
    type Notification = { type: string; actor: { username: string }; postId?: string; commentId?: string };
    const notes = async (who: Account) =>
      (await api<Page<Notification>>(t.url, "GET", "/api/notifications", { token: who.token })).body.items;
    await eventually(async () => (await notes(author)).length >= 2);
    expect((await notes(author)).map((n) => [n.type, n.actor.username, n.postId])).to.have.deep.members([
      ["like", fan.username, p.id],
      ["comment", fan.username, p.id],
    ]);
    await eventually(async () => (await notes(named)).length >= 2);
    expect(
      (await notes(named)).map((n) => [n.type, n.actor.username, n.commentId ?? null]),
    ).to.have.deep.members([
      ["mention", author.username, null],
      ["mention", fan.username, c.body.id],
    ]);
    expect(await notes(fan)).to.deep.equal([]);
  });
});
