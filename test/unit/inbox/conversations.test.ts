import { expect } from "chai";
import type { ConversationView, MessageView } from "../../../lib/inbox";
import { userConversations } from "../../../lib/inbox/tables";
import { inboxFixture, rejectionOf, type InboxFixture } from "./fixture";

describe("Inbox conversations and messages", () => {
  let f: InboxFixture;

  beforeEach(async () => {
    f = await inboxFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  async function allConversations(userId: string, limit = 100): Promise<ConversationView[]> {
    const all: ConversationView[] = [];
    let cursor: string | undefined;
    do {
      const page = await f.inbox.listConversations(userId, { limit, cursor });
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return all;
  }

  async function allMessages(userId: string, conversationId: string, limit = 100): Promise<MessageView[]> {
    const all: MessageView[] = [];
    let cursor: string | undefined;
    do {
      const page = await f.inbox.listMessages(userId, conversationId, { limit, cursor });
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return all;
  }

  describe("opening", () => {
    it("gives the same members one conversation, also under 10 concurrent opens from all sides", async () => {
      const [ada, bob, cy] = await f.newUsers(3);
      const opens = Array.from({ length: 10 }, (_, i) => {
        const [caller, ...others] = [ada!, bob!, cy!].map((_u, j, all) => all[(i + j) % 3]!);
        return f.inbox.openConversation(
          caller!.id,
          others.map((o) => o.username),
        );
      });
      const results = await Promise.all(opens);
      const ids = new Set(results.map((r) => r.conversation.id));
      expect(ids.size).to.equal(1);
      expect(results.filter((r) => r.created)).to.have.length(1);

      for (const user of [ada!, bob!, cy!]) {
        const listed = await allConversations(user.id);
        expect(listed.map((c) => c.id)).to.deep.equal([...ids]);
        expect(listed[0]!.members.map((m) => m.id).sort()).to.deep.equal([ada!.id, bob!.id, cy!.id].sort());
      }
      // Another set of people is another conversation.
      const pair = await f.inbox.openConversation(ada!.id, [bob!.username]);
      expect(pair.created).to.equal(true);
      expect(ids.has(pair.conversation.id)).to.equal(false);
    });

    it("answers the conversation object, with no message yet", async () => {
      const [ada, bob] = await f.newUsers(2);
      const { conversation, created } = await f.inbox.openConversation(ada!.id, [bob!.username]);
      expect(created).to.equal(true);
      expect(conversation.lastMessage).to.equal(null);
      expect(conversation.unreadCount).to.equal(0);
      expect(conversation.members.map((m) => m.username).sort()).to.deep.equal(
        [ada!.username, bob!.username].sort(),
      );
      const again = await f.inbox.openConversation(bob!.id, [ada!.username]);
      expect(again).to.deep.include({ created: false });
      expect(again.conversation.id).to.equal(conversation.id);
    });

    it("takes 2 to 32 members, the caller included", async () => {
      const [caller, ...others] = await f.newUsers(33);
      const opened = await f.inbox.openConversation(
        caller!.id,
        others.slice(0, 31).map((u) => u.username),
      );
      expect(opened.conversation.members).to.have.length(32);
      const error = await rejectionOf(
        f.inbox.openConversation(
          caller!.id,
          others.map((u) => u.username),
        ),
      );
      expect(error.status).to.equal(400);
      expect((await rejectionOf(f.inbox.openConversation(caller!.id, []))).status).to.equal(400);
    });

    it("names unknown usernames, refuses the caller among the others, and 403s a block either way", async () => {
      const [ada, bob, cy] = await f.newUsers(3);
      const unknown = await rejectionOf(
        f.inbox.openConversation(ada!.id, [bob!.username, "nobody_here", "nor_this"]),
      );
      expect(unknown.status).to.equal(400);
      expect(unknown.code).to.equal("UNKNOWN_USERS");
      expect(unknown.message).to.contain("nobody_here").and.to.contain("nor_this");
      expect(unknown.message).to.not.contain(bob!.username);

      const self = await rejectionOf(f.inbox.openConversation(ada!.id, [bob!.username, ada!.username]));
      expect(self.status).to.equal(400);

      await f.graph.block(cy!.id, ada!.id);
      // A block either way hides the other, as their profile does: "no such user", never "blocked".
      const blocked = await rejectionOf(f.inbox.openConversation(ada!.id, [bob!.username, cy!.username]));
      expect([blocked.status, blocked.code]).to.deep.equal([400, "UNKNOWN_USERS"]);
      expect(blocked.message).to.contain(cy!.username).and.not.contain(bob!.username);
      const blocking = await rejectionOf(f.inbox.openConversation(cy!.id, [ada!.username]));
      expect([blocking.status, blocking.code]).to.deep.equal([400, "UNKNOWN_USERS"]);
      expect(await allConversations(ada!.id)).to.deep.equal([]);
    });
  });

  describe("sending and reading", () => {
    it("keeps non-members out with 404, as if there were no conversation", async () => {
      const [ada, bob, eve] = await f.newUsers(3);
      const { conversation } = await f.inbox.openConversation(ada!.id, [bob!.username]);
      await f.inbox.send(ada!.id, conversation.id, { text: "hi" });
      for (const attempt of [
        f.inbox.listMessages(eve!.id, conversation.id, { limit: 20 }),
        f.inbox.send(eve!.id, conversation.id, { text: "let me in" }),
        f.inbox.markConversationRead(eve!.id, conversation.id),
        f.inbox.listMessages(eve!.id, await f.ids.next(), { limit: 20 }),
      ]) {
        const error = await rejectionOf(attempt);
        expect(error.status).to.equal(404);
        expect(error.code).to.equal("CONVERSATION_NOT_FOUND");
      }
      expect((await allMessages(bob!.id, conversation.id)).map((m) => m.text)).to.deep.equal(["hi"]);
    });

    it("refuses a sender blocked either way by any other member (403), and only them", async () => {
      const [ada, bob, cy] = await f.newUsers(3);
      const { conversation } = await f.inbox.openConversation(ada!.id, [bob!.username, cy!.username]);
      await f.graph.block(cy!.id, ada!.id);
      const error = await rejectionOf(f.inbox.send(ada!.id, conversation.id, { text: "hello?" }));
      expect(error.status).to.equal(403);
      const other = await rejectionOf(f.inbox.send(cy!.id, conversation.id, { text: "go away" }));
      expect(other.status).to.equal(403);
      await f.inbox.send(bob!.id, conversation.id, { text: "still here" });
      expect((await allMessages(bob!.id, conversation.id)).map((m) => m.text)).to.deep.equal(["still here"]);
    });

    it("delivers to every member, the sender included, and answers the message object", async () => {
      const [ada, bob, cy] = await f.newUsers(3);
      const { conversation } = await f.inbox.openConversation(ada!.id, [bob!.username, cy!.username]);
      const sent = await f.inbox.send(ada!.id, conversation.id, { text: "hello all" });
      expect(sent).to.include({ conversationId: conversation.id, text: "hello all" });
      expect(sent.sender.id).to.equal(ada!.id);

      const messageEvents = f.published.filter((p) => p.event.event === "message");
      expect(messageEvents.map((p) => p.userIds[0]).sort()).to.deep.equal([ada!.id, bob!.id, cy!.id].sort());
      for (const { event } of messageEvents) {
        // Each member's event has an id minted in that member's mailbox, after the message's.
        expect(BigInt(event.id) > BigInt(sent.id)).to.equal(true);
        expect(event.data).to.deep.include({ id: sent.id, text: sent.text });
      }
      expect(new Set(messageEvents.map((p) => p.event.id)).size).to.equal(3);
    });

    it("checks media (an upload of the sender that did not fail) and posts (one the sender can see)", async () => {
      const [ada, bob] = await f.newUsers(2);
      const { conversation } = await f.inbox.openConversation(ada!.id, [bob!.username]);
      const [mine, failed, theirs, post] = await Promise.all([
        f.ids.next(),
        f.ids.next(),
        f.ids.next(),
        f.ids.next(),
      ]);
      f.media.set(mine, { owner_id: ada!.id, media_id: mine, status: "ready", kind: "image" });
      f.media.set(failed, { owner_id: ada!.id, media_id: failed, status: "failed", kind: "image" });
      f.media.set(theirs, { owner_id: bob!.id, media_id: theirs, status: "ready", kind: "image" });

      for (const mediaId of [failed, theirs, await f.ids.next()]) {
        const error = await rejectionOf(f.inbox.send(ada!.id, conversation.id, { mediaId }));
        expect(error.status).to.equal(400);
        expect(error.code).to.equal("MEDIA_NOT_USABLE");
      }
      const hidden = await rejectionOf(f.inbox.send(ada!.id, conversation.id, { postId: post }));
      expect(hidden.status).to.equal(400);

      f.visiblePosts.set(ada!.id, new Set([post]));
      const withMedia = await f.inbox.send(ada!.id, conversation.id, { mediaId: mine, postId: post });
      expect(withMedia.media?.id).to.equal(mine);
      expect(withMedia.postId).to.equal(post);
      expect(withMedia).to.not.have.property("text");
      expect((await allMessages(bob!.id, conversation.id)).map((m) => m.id)).to.deep.equal([withMedia.id]);
    });

    it("sends media still processing, and shows it in each read as it is now: processing, then ready or failed", async () => {
      const [ada, bob] = await f.newUsers(2);
      const { conversation } = await f.inbox.openConversation(ada!.id, [bob!.username]);
      const [rendered, broken] = [await f.ids.next(), await f.ids.next()];
      for (const id of [rendered, broken]) {
        f.media.set(id, { owner_id: ada!.id, media_id: id, status: "processing", kind: "image" });
      }
      const sent = [
        await f.inbox.send(ada!.id, conversation.id, { mediaId: rendered }),
        await f.inbox.send(ada!.id, conversation.id, { mediaId: broken }),
      ];
      for (const message of sent)
        expect(message.media).to.deep.include({ status: "processing", variants: {} });
      const mediaOf = async (viewerId: string) =>
        (await allMessages(viewerId, conversation.id)).map((m) => m.media);
      expect((await mediaOf(bob!.id)).map((m) => m?.status)).to.deep.equal(["processing", "processing"]);

      // What a transcoder leaves: variants on one, a failure on the other.
      const small = {
        key: `media/${ada!.id}/${rendered}/small.jpg`,
        width: 8,
        height: 6,
        contentType: "image/jpeg",
      };
      f.media.set(rendered, {
        owner_id: ada!.id,
        media_id: rendered,
        status: "ready",
        kind: "image",
        width: 8,
        height: 6,
        variants: JSON.stringify({ small }),
      });
      f.media.set(broken, {
        owner_id: ada!.id,
        media_id: broken,
        status: "failed",
        kind: "image",
        failure: "x",
      });
      for (const viewer of [bob!, ada!]) {
        const [newest, oldest] = await mediaOf(viewer.id);
        expect(newest).to.deep.include({ id: broken, status: "failed", variants: {} });
        expect(oldest).to.deep.include({ id: rendered, status: "ready", width: 8, height: 6 });
        expect(oldest?.variants.small?.url).to.equal(`http://files.test/${small.key}`);
        const listed = (await f.inbox.listConversations(viewer.id, { limit: 5 })).items;
        expect(listed[0]?.lastMessage?.media).to.deep.include({ id: broken, status: "failed" });
      }
    });

    it("counts unread messages of others after each member's read marker", async () => {
      const [ada, bob] = await f.newUsers(2);
      const { conversation } = await f.inbox.openConversation(ada!.id, [bob!.username]);
      for (const text of ["one", "two", "three"]) await f.inbox.send(ada!.id, conversation.id, { text });
      const unreadOf = async (userId: string) => (await allConversations(userId))[0]!.unreadCount;
      expect(await unreadOf(bob!.id)).to.equal(3);
      expect(await unreadOf(ada!.id)).to.equal(0);

      await f.inbox.markConversationRead(bob!.id, conversation.id);
      expect(await unreadOf(bob!.id)).to.equal(0);
      await f.inbox.send(ada!.id, conversation.id, { text: "four" });
      expect(await unreadOf(bob!.id)).to.equal(1);

      // Writing back reads everything before it.
      await f.inbox.send(bob!.id, conversation.id, { text: "ok" });
      expect(await unreadOf(bob!.id)).to.equal(0);
      expect(await unreadOf(ada!.id)).to.equal(1);
      const [listed] = await allConversations(ada!.id);
      expect(listed!.lastMessage).to.deep.include({ text: "ok" });
      expect(listed!.lastMessage!.sender.id).to.equal(bob!.id);
    });

    it("lists conversations by their latest message, each once, paging without repeats", async () => {
      const [ada, ...friends] = await f.newUsers(6);
      const opened: string[] = [];
      for (const friend of friends) {
        opened.push((await f.inbox.openConversation(ada!.id, [friend.username])).conversation.id);
      }
      // The oldest conversation gets a message, then the third: they move to the top.
      await f.inbox.send(friends[0]!.id, opened[0]!, { text: "first" });
      await f.inbox.send(ada!.id, opened[2]!, { text: "third" });
      await f.inbox.send(friends[0]!.id, opened[0]!, { text: "first again" });

      const expected = [opened[0], opened[2], opened[4], opened[3], opened[1]];
      expect((await allConversations(ada!.id, 2)).map((c) => c.id)).to.deep.equal(expected);
      // A moved conversation leaves no row behind in the list.
      const rows = (await userConversations.walk(f.store, ada!.id, { limit: 1000 })).rows;
      expect(rows.map((r) => r.conversation_id)).to.deep.equal(expected);
      expect((await allConversations(friends[0]!.id)).map((c) => c.id)).to.deep.equal([opened[0]]);
    });

    it("pages messages newest first without repeats", async () => {
      const [ada, bob] = await f.newUsers(2);
      const { conversation } = await f.inbox.openConversation(ada!.id, [bob!.username]);
      const texts = Array.from({ length: 7 }, (_, i) => `m${i}`);
      for (const text of texts) await f.inbox.send(ada!.id, conversation.id, { text });
      expect((await allMessages(bob!.id, conversation.id, 3)).map((m) => m.text)).to.deep.equal(
        [...texts].reverse(),
      );
      const error = await rejectionOf(
        f.inbox.listMessages(bob!.id, conversation.id, { limit: 3, cursor: "abc" }),
      );
      expect(error.status).to.equal(400);
    });

    it("shares a post in each recipient's two-member conversation, reusing an existing one", async () => {
      const [ada, bob, cy] = await f.newUsers(3);
      const post = await f.ids.next();
      f.visiblePosts.set(ada!.id, new Set([post]));
      const existing = (await f.inbox.openConversation(ada!.id, [bob!.username])).conversation.id;
      const shared = await f.inbox.sharePost(ada!.id, [bob!.id, cy!.id], post);
      expect(shared.conversationIds[0]).to.equal(existing);
      for (const [user, conversationId] of [
        [bob!, shared.conversationIds[0]!],
        [cy!, shared.conversationIds[1]!],
      ] as const) {
        const [message] = await allMessages(user.id, conversationId);
        expect(message).to.deep.include({ postId: post });
        expect(message!.sender.id).to.equal(ada!.id);
        const [conversation] = await allConversations(user.id);
        expect(conversation!.members.map((m) => m.id).sort()).to.deep.equal([ada!.id, user.id].sort());
      }
      const hidden = await rejectionOf(f.inbox.sharePost(ada!.id, [bob!.id], await f.ids.next()));
      expect(hidden.status).to.equal(404);
    });
  });
});
