import { expect } from "chai";
import type { Page } from "../../lib/validation/page";
import type { UserView } from "../../lib/accounts/user-view";
import type { MediaView } from "../../lib/media-library/media-view";
import type { PostView } from "../../lib/posts/posts";
import {
  api,
  signup,
  startTestNode,
  type Account,
  uniqueName,
  type ErrorBody,
  type TestNode,
} from "../support/test-node";
import { uploadPhoto } from "../support/media";

interface Notification {
  id: string;
  type: string;
  actor: UserView;
  postId?: string;
  commentId?: string;
  createdAt: string;
  read: boolean;
}
interface Message {
  id: string;
  conversationId: string;
  sender: UserView;
  text?: string;
  media?: MediaView;
  postId?: string;
  createdAt: string;
}
interface Conversation {
  id: string;
  members: UserView[];
  lastMessage: Message | null;
  unreadCount: number;
}

describe("notifications and direct messages through the gateway", function () {
  this.timeout(120_000);
  let t: TestNode;

  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.stop();
  });

  const call = <T = Record<string, unknown>>(who: Account, method: string, route: string, body?: unknown) =>
    api<T>(t.url, method, route, { token: who.token, ...(body !== undefined && { body }) });
  const open = (who: Account, usernames: string[]) =>
    call<Conversation>(who, "POST", "/api/conversations", { usernames });
  const send = (who: Account, conversationId: string, body: unknown) =>
    call<Message>(who, "POST", `/api/conversations/${conversationId}/messages`, body);
  const unread = async (who: Account) =>
    (await call<{ count: number }>(who, "GET", "/api/notifications/unread-count")).body.count;
  const conversationOf = async (who: Account, id: string) =>
    (await call<Page<Conversation>>(who, "GET", "/api/conversations")).body.items.find((c) => c.id === id);

  const upload = (owner: Account) => uploadPhoto(t.url, owner, { ready: true });

  describe("notifications", () => {
    it("notifies a follow once, however often it is undone and redone, and counts it unread", async () => {
      const [ada, bob] = [await signup(t.url), await signup(t.url)];
      expect(await unread(ada)).to.equal(0);
      for (let i = 0; i < 3; i++) {
        expect((await call(bob, "POST", `/api/users/${ada.username}/follow`)).status).to.equal(200);
        expect((await call(bob, "DELETE", `/api/users/${ada.username}/follow`)).status).to.equal(200);
      }
      const page = await call<Page<Notification>>(ada, "GET", "/api/notifications");
      expect(page.status).to.equal(200);
      expect(page.body.items).to.have.length(1);
      const [n] = page.body.items;
      expect(n).to.include({ type: "follow", read: false });
      expect(n!.actor.username).to.equal(bob.username);
      expect(n!.actor.relationship).to.include({ followedBy: false });
      expect(await unread(ada)).to.equal(1);
      // Nobody else hears of it.
      expect(await unread(bob)).to.equal(0);
    });

    it("asks and accepts a private account's follow as their own notifications", async () => {
      const [ada, bob] = [await signup(t.url), await signup(t.url)];
      await call(ada, "PATCH", "/api/me", { isPrivate: true });
      expect((await call(bob, "POST", `/api/users/${ada.username}/follow`)).body).to.deep.equal({
        state: "requested",
      });
      expect((await call(ada, "POST", `/api/follow-requests/${bob.username}/approve`)).status).to.equal(200);
      const adas = (await call<Page<Notification>>(ada, "GET", "/api/notifications")).body.items;
      const bobs = (await call<Page<Notification>>(bob, "GET", "/api/notifications")).body.items;
      expect(adas.map((n) => [n.type, n.actor.username])).to.deep.equal([["follow_request", bob.username]]);
      expect(bobs.map((n) => [n.type, n.actor.username])).to.deep.equal([["follow_accepted", ada.username]]);
    });

    it("marks read up to an id inclusive, then all, answering 204", async () => {
      const ada = await signup(t.url);
      const fans = [await signup(t.url), await signup(t.url), await signup(t.url)];
      for (const fan of fans) await call(fan, "POST", `/api/users/${ada.username}/follow`);
      expect(await unread(ada)).to.equal(3);
      const items = (await call<Page<Notification>>(ada, "GET", "/api/notifications?limit=2")).body.items;
      expect(items.map((n) => n.actor.username)).to.deep.equal([fans[2]!.username, fans[1]!.username]);

      const marked = await call(ada, "POST", "/api/notifications/read", { upToId: items[1]!.id });
      expect(marked.status).to.equal(204);
      expect(marked.text).to.equal("");
      expect(await unread(ada)).to.equal(1);
      const all = (await call<Page<Notification>>(ada, "GET", "/api/notifications")).body.items;
      expect(all.map((n) => n.read)).to.deep.equal([false, true, true]);

      expect((await call(ada, "POST", "/api/notifications/read")).status).to.equal(204);
      expect(await unread(ada)).to.equal(0);
    });

    it("answers 404 to marking read up to a notification that is not the caller's, and marks nothing", async () => {
      const [ada, bob, fan] = [await signup(t.url), await signup(t.url), await signup(t.url)];
      const code = (res: { status: number; body: ErrorBody }) => [res.status, res.body.error?.code];
      const markUpTo = (who: Account, upToId: string) =>
        call<ErrorBody>(who, "POST", "/api/notifications/read", { upToId });
      // With no notification at all, an id is still not one of hers.
      expect(code(await markUpTo(ada, "123456789012345678"))).to.deep.equal([404, "NOTIFICATION_NOT_FOUND"]);

      await call(fan, "POST", `/api/users/${ada.username}/follow`);
      await call(fan, "POST", `/api/users/${bob.username}/follow`);
      const [bobs] = (await call<Page<Notification>>(bob, "GET", "/api/notifications")).body.items;
      // A made-up id far in the future, and someone else's real notification.
      for (const upToId of ["9000000000000000000", bobs!.id]) {
        expect(code(await markUpTo(ada, upToId)), upToId).to.deep.equal([404, "NOTIFICATION_NOT_FOUND"]);
      }
      expect(await unread(ada)).to.equal(1);
      const [adas] = (await call<Page<Notification>>(ada, "GET", "/api/notifications")).body.items;
      expect(adas!.read).to.equal(false);
      expect((await markUpTo(ada, adas!.id)).status).to.equal(204);
      expect(await unread(ada)).to.equal(0);
    });

    it("pages newest first and refuses bad paging and bad ids", async () => {
      const ada = await signup(t.url);
      const fans = [await signup(t.url), await signup(t.url), await signup(t.url)];
      for (const fan of fans) await call(fan, "POST", `/api/users/${ada.username}/follow`);
      const first = await call<Page<Notification>>(ada, "GET", "/api/notifications?limit=2");
      expect(first.body.nextCursor).to.be.a("string");
      const second = await call<Page<Notification>>(
        ada,
        "GET",
        `/api/notifications?limit=2&cursor=${first.body.nextCursor}`,
      );
      expect([...first.body.items, ...second.body.items].map((n) => n.actor.username)).to.deep.equal(
        [...fans].reverse().map((f) => f.username),
      );
      expect(second.body.nextCursor).to.equal(null);

      for (const query of ["?limit=0", "?limit=101", "?cursor=not-ours"]) {
        const res = await call<ErrorBody>(ada, "GET", `/api/notifications${query}`);
        expect(res.status, query).to.equal(400);
      }
      expect((await call(ada, "POST", "/api/notifications/read", { upToId: "abc" })).status).to.equal(400);
      expect((await call(ada, "POST", "/api/notifications/read", { upToId: "1", extra: 1 })).status).to.equal(
        400,
      );
      expect((await api(t.url, "GET", "/api/notifications")).status).to.equal(401);
    });
  });

  describe("from likes, comments and shares", () => {
    async function newPost(author: Account): Promise<string> {
      const media = await upload(author);
      const created = await call<PostView>(author, "POST", "/api/posts", { mediaIds: [media.id] });
      expect(created.status, created.text).to.equal(201);
      return created.body.id;
    }

    it("notifies a like once across unlike and like again, a comment, and nothing for one's own", async () => {
      const [ada, bob] = [await signup(t.url), await signup(t.url)];
      const post = await newPost(ada);
      for (const method of ["POST", "DELETE", "POST"]) {
        expect((await call(bob, method, `/api/posts/${post}/like`)).status).to.equal(200);
      }
      expect((await call(ada, "POST", `/api/posts/${post}/like`)).status).to.equal(200);
      const comment = await call<{ id: string }>(bob, "POST", `/api/posts/${post}/comments`, {
        text: "nice",
      });
      expect(comment.status, comment.text).to.equal(201);
      expect((await call(ada, "POST", `/api/posts/${post}/comments`, { text: "thanks" })).status).to.equal(
        201,
      );

      const items = (await call<Page<Notification>>(ada, "GET", "/api/notifications")).body.items;
      expect(items.map((n) => [n.type, n.actor.username, n.postId])).to.deep.equal([
        ["comment", bob.username, post],
        ["like", bob.username, post],
      ]);
      expect(items[0]!.commentId).to.equal(comment.body.id);
      expect(await unread(ada)).to.equal(2);
    });

    it("shares a post as a message in each recipient's two-member conversation", async () => {
      const [ada, bob, cy] = [await signup(t.url), await signup(t.url), await signup(t.url)];
      const post = await newPost(ada);
      const existing = (await open(ada, [bob.username])).body.id;
      const shared = await call(ada, "POST", `/api/posts/${post}/share`, {
        usernames: [bob.username, cy.username],
      });
      expect(shared.status, shared.text).to.equal(201);

      const bobs = await call<Page<Message>>(bob, "GET", `/api/conversations/${existing}/messages`);
      expect(bobs.body.items.map((m) => [m.postId, m.sender.username])).to.deep.equal([[post, ada.username]]);
      const [cys] = (await call<Page<Conversation>>(cy, "GET", "/api/conversations")).body.items;
      expect(cys!.members.map((m) => m.username).sort()).to.deep.equal([ada.username, cy.username].sort());
      expect(cys!.lastMessage).to.include({ postId: post });
      expect(cys!.unreadCount).to.equal(1);
    });
  });

  describe("conversations", () => {
    it("opens one conversation per member set: 201 first, then 200 with the same one", async () => {
      const [ada, bob, cy] = [await signup(t.url), await signup(t.url), await signup(t.url)];
      const first = await open(ada, [bob.username, cy.username]);
      expect(first.status, first.text).to.equal(201);
      expect(first.body).to.include({ lastMessage: null, unreadCount: 0 });
      expect(first.body.members.map((m) => m.username).sort()).to.deep.equal(
        [ada.username, bob.username, cy.username].sort(),
      );
      const again = await open(cy, [ada.username.toUpperCase(), bob.username]);
      expect(again.status).to.equal(200);
      expect(again.body.id).to.equal(first.body.id);
      const concurrent = await Promise.all([open(bob, [ada.username]), open(ada, [bob.username])]);
      expect(concurrent.map((r) => r.status).sort()).to.deep.equal([200, 201]);
      expect(concurrent[0].body.id).to.equal(concurrent[1].body.id);
      expect(concurrent[0].body.id).to.not.equal(first.body.id);
    });

    it("refuses unknown usernames (naming them), the caller, too many or none, and hides blocked users", async () => {
      const [ada, bob] = [await signup(t.url), await signup(t.url)];
      const ghost = uniqueName("ghost");
      const unknown = await open(ada, [bob.username, ghost]);
      expect(unknown.status).to.equal(400);
      expect((unknown.body as unknown as ErrorBody).error.message).to.contain(ghost);

      expect((await open(ada, [bob.username, ada.username])).status).to.equal(400);
      expect((await open(ada, [])).status).to.equal(400);
      const many = Array.from({ length: 32 }, (_, i) => `someone_${i}`);
      expect((await open(ada, many)).status).to.equal(400);
      expect((await call(ada, "POST", "/api/conversations", {})).status).to.equal(400);

      expect((await call(bob, "POST", `/api/users/${ada.username}/block`)).status).to.equal(200);
      const blocked = await open(ada, [bob.username]);
      expect(blocked.status).to.equal(400);
      expect((blocked.body as unknown as ErrorBody).error.code).to.equal("UNKNOWN_USERS");
      expect((await open(bob, [ada.username])).status).to.equal(400);
    });

    it("sends and lists messages newest first, to members only (404 to others)", async () => {
      const [ada, bob, eve] = [await signup(t.url), await signup(t.url), await signup(t.url)];
      const { id } = (await open(ada, [bob.username])).body;
      const sent = [];
      for (const text of ["one", "two", "three"]) {
        const res = await send(ada, id, { text });
        expect(res.status, res.text).to.equal(201);
        expect(res.body).to.include({ conversationId: id, text });
        expect(res.body.sender.username).to.equal(ada.username);
        sent.push(res.body);
      }
      const first = await call<Page<Message>>(bob, "GET", `/api/conversations/${id}/messages?limit=2`);
      const rest = await call<Page<Message>>(
        bob,
        "GET",
        `/api/conversations/${id}/messages?limit=2&cursor=${first.body.nextCursor}`,
      );
      expect([...first.body.items, ...rest.body.items].map((m) => m.text)).to.deep.equal([
        "three",
        "two",
        "one",
      ]);

      for (const [method, route, body] of [
        ["GET", `/api/conversations/${id}/messages`, undefined],
        ["POST", `/api/conversations/${id}/messages`, { text: "let me in" }],
        ["POST", `/api/conversations/${id}/read`, undefined],
      ] as const) {
        const res = await call<ErrorBody>(eve, method, route, body);
        expect(res.status, `${method} ${route}`).to.equal(404);
      }
      expect((await call(eve, "GET", "/api/conversations")).body).to.deep.equal({
        items: [],
        nextCursor: null,
      });
    });

    it("checks message bodies: something to send, text ≤ 2000, no unknown fields", async () => {
      const [ada, bob] = [await signup(t.url), await signup(t.url)];
      const { id } = (await open(ada, [bob.username])).body;
      expect((await send(ada, id, {})).status).to.equal(400);
      expect((await send(ada, id, { text: "   " })).status).to.equal(400);
      expect((await send(ada, id, { text: "x".repeat(2001) })).status).to.equal(400);
      expect((await send(ada, id, { text: "x".repeat(2000) })).status).to.equal(201);
      expect((await send(ada, id, { text: "hi", sticker: "cat" })).status).to.equal(400);
      expect((await send(ada, "not-an-id", { text: "hi" })).status).to.equal(400);
    });

    it("sends a ready upload of the sender and a post the sender can see; nothing else", async () => {
      const [ada, bob, priv] = [await signup(t.url), await signup(t.url), await signup(t.url)];
      const { id } = (await open(ada, [bob.username])).body;
      const mine = await upload(ada);
      const theirs = await upload(bob);
      const withMedia = await send(ada, id, { mediaId: mine.id });
      expect(withMedia.status, withMedia.text).to.equal(201);
      expect(withMedia.body.media?.id).to.equal(mine.id);
      expect(withMedia.body).to.not.have.property("text");
      expect((await send(ada, id, { mediaId: theirs.id })).status).to.equal(400);

      const postMedia = await upload(priv);
      const created = await call<PostView>(priv, "POST", "/api/posts", { mediaIds: [postMedia.id] });
      expect(created.status).to.equal(201);
      const withPost = await send(ada, id, { postId: created.body.id, text: "look" });
      expect(withPost.status, withPost.text).to.equal(201);
      expect(withPost.body).to.include({ postId: created.body.id, text: "look" });

      await call(priv, "PATCH", "/api/me", { isPrivate: true });
      const hidden = await send(ada, id, { postId: created.body.id });
      expect(hidden.status).to.equal(400);
    });

    it("tracks unread counts per member and moves conversations up as messages arrive", async () => {
      const [ada, bob, cy] = [await signup(t.url), await signup(t.url), await signup(t.url)];
      const withBob = (await open(ada, [bob.username])).body.id;
      const withCy = (await open(ada, [cy.username])).body.id;
      await send(bob, withBob, { text: "a" });
      await send(bob, withBob, { text: "b" });
      await send(cy, withCy, { text: "c" });

      const list = (await call<Page<Conversation>>(ada, "GET", "/api/conversations")).body.items;
      expect(list.map((c) => [c.id, c.unreadCount, c.lastMessage?.text])).to.deep.equal([
        [withCy, 1, "c"],
        [withBob, 2, "b"],
      ]);
      expect((await conversationOf(bob, withBob))!.unreadCount).to.equal(0);

      const read = await call(ada, "POST", `/api/conversations/${withBob}/read`);
      expect(read.status).to.equal(204);
      expect((await conversationOf(ada, withBob))!.unreadCount).to.equal(0);
      await send(bob, withBob, { text: "d" });
      const after = (await call<Page<Conversation>>(ada, "GET", "/api/conversations")).body.items;
      expect(after.map((c) => [c.id, c.unreadCount])).to.deep.equal([
        [withBob, 1],
        [withCy, 1],
      ]);
    });

    it("refuses a sender blocked either way by another member (403)", async () => {
      const [ada, bob, cy] = [await signup(t.url), await signup(t.url), await signup(t.url)];
      const { id } = (await open(ada, [bob.username, cy.username])).body;
      expect((await send(cy, id, { text: "before" })).status).to.equal(201);
      await call(cy, "POST", `/api/users/${ada.username}/block`);
      const refused = await send(ada, id, { text: "after" });
      expect(refused.status).to.equal(403);
      expect((await send(cy, id, { text: "me neither" })).status).to.equal(403);
      expect((await send(bob, id, { text: "still fine" })).status).to.equal(201);
      const texts = (
        await call<Page<Message>>(bob, "GET", `/api/conversations/${id}/messages`)
      ).body.items.map((m) => m.text);
      expect(texts).to.deep.equal(["still fine", "before"]);
    });
  });
});
