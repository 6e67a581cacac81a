import { expect } from "chai";
import { userNotifications } from "../../../lib/inbox/tables";
import { listBuckets } from "../../../lib/validation/bucketed-list";
import { every } from "../../../lib/validation/time-buckets";
import type { NotificationView } from "../../../lib/inbox";
import { inboxFixture, rejectionOf, type InboxFixture } from "./fixture";

describe("Inbox notifications", () => {
  let f: InboxFixture;

  beforeEach(async () => {
    f = await inboxFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  async function allNotifications(userId: string, limit = 100): Promise<NotificationView[]> {
    const all: NotificationView[] = [];
    let cursor: string | undefined;
    do {
      const page = await f.inbox.listNotifications(userId, { limit, cursor });
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return all;
  }

  it("never notifies an actor of their own act", async () => {
    const [ada] = await f.newUsers(1);
    const post = await f.ids.next();
    await f.inbox.notify({ recipientId: ada!.id, actorId: ada!.id, type: "like", postId: post });
    expect((await f.inbox.listNotifications(ada!.id, { limit: 20 })).items).to.deep.equal([]);
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 0 });
    expect(f.published).to.deep.equal([]);
  });

  it("records a like, an unlike and a like again as one notification", async () => {
    const [ada, bob, cy] = await f.newUsers(3);
    const post = await f.ids.next();
    const like = { recipientId: ada!.id, actorId: bob!.id, type: "like" as const, postId: post };
    await f.inbox.notify(like);
    await f.inbox.notify(like);
    // Another person's like of the same post is another action.
    await f.inbox.notify({ ...like, actorId: cy!.id });

    const items = await allNotifications(ada!.id);
    expect(items.map((n) => [n.type, n.actor.id, n.postId])).to.deep.equal([
      ["like", cy!.id, post],
      ["like", bob!.id, post],
    ]);
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 2 });
    expect(f.published).to.have.length(2);
    // Nor does a node that rebuilt its memory from the rows think otherwise.
    f.inbox.forgetAll();
    await f.inbox.notify(like);
    expect(await allNotifications(ada!.id)).to.have.length(2);
  });

  it("takes many notifications of one recipient at once: each stored, counted, published and logged once, in order", async () => {
    const [ada, ...fans] = await f.newUsers(41);
    const post = await f.ids.next();
    // Each fan likes twice at once (one action: one notification), beside a comment; written in a few batches.
    await Promise.all(
      fans.flatMap((fan) => {
        const like = { recipientId: ada!.id, actorId: fan.id, type: "like" as const, postId: post };
        return [f.inbox.notify(like), f.inbox.notify(like)];
      }),
    );
    const items = await allNotifications(ada!.id);
    expect(items).to.have.length(40);
    expect(new Set(items.map((n) => n.actor.id))).to.deep.equal(new Set(fans.map((u) => u.id)));
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 40 });
    // Published in the order of their ids, each once, and the same events a reconnecting client replays.
    const ids = f.published.map((p) => p.event.id);
    expect(ids).to.have.length(40);
    expect(ids).to.deep.equal([...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
    expect(ids).to.deep.equal(items.map((n) => n.id).reverse());
    const replayed = await f.inbox.replay(ada!.id, "1", 100);
    expect(replayed.events.map((e) => e.id)).to.deep.equal(ids);
    // And memory agrees with the rows.
    f.inbox.forgetAll();
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 40 });
    expect((await allNotifications(ada!.id)).map((n) => n.id)).to.deep.equal(items.map((n) => n.id));
  });

  it("pushes the notification object, as the recipient sees the actor, under the notification's id", async () => {
    const [ada, bob] = await f.newUsers(2);
    await f.graph.follow(ada!.id, { id: bob!.id, isPrivate: false });
    await f.inbox.notify({ recipientId: ada!.id, actorId: bob!.id, type: "follow" });

    const [stored] = (await f.inbox.listNotifications(ada!.id, { limit: 5 })).items;
    expect(f.published).to.have.length(1);
    const { userIds, event } = f.published[0]!;
    expect(userIds).to.deep.equal([ada!.id]);
    expect(event.event).to.equal("notification");
    expect(event.id).to.equal(stored!.id);
    expect(event.data).to.deep.equal(stored);
    expect(stored).to.include({ type: "follow", read: false });
    expect(stored!.actor.relationship).to.include({ following: true, followedBy: false });
    expect(stored).to.not.have.property("postId");
  });

  it("does not notify across a block, either way", async () => {
    const [ada, bob, cy] = await f.newUsers(3);
    await f.graph.block(ada!.id, bob!.id);
    await f.graph.block(cy!.id, ada!.id);
    await f.inbox.notify({ recipientId: ada!.id, actorId: bob!.id, type: "follow" });
    await f.inbox.notify({ recipientId: ada!.id, actorId: cy!.id, type: "follow" });
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 0 });
    expect(f.published).to.deep.equal([]);
  });

  it("counts unread ones and marks read up to an id inclusive, never backwards, then everything", async () => {
    const [ada, ...actors] = await f.newUsers(6);
    for (const actor of actors)
      await f.inbox.notify({ recipientId: ada!.id, actorId: actor.id, type: "follow" });
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 5 });

    const newestFirst = await allNotifications(ada!.id);
    const third = newestFirst[2]!;
    await f.inbox.markRead(ada!.id, third.id);
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 2 });
    expect((await allNotifications(ada!.id)).map((n) => n.read)).to.deep.equal([
      false,
      false,
      true,
      true,
      true,
    ]);

    // An older id leaves the marker where it is.
    await f.inbox.markRead(ada!.id, newestFirst[4]!.id);
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 2 });

    // The same answers from a node that rebuilt the memory from the rows.
    f.inbox.forgetAll();
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 2 });
    expect((await allNotifications(ada!.id)).map((n) => n.read)).to.deep.equal([
      false,
      false,
      true,
      true,
      true,
    ]);

    await f.inbox.markRead(ada!.id);
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 0 });
    const [newer] = await f.newUsers(1);
    await f.inbox.notify({ recipientId: ada!.id, actorId: newer!.id, type: "follow" });
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 1 });
  });

  it("counts past the memory window and pages newest first without repeats", async () => {
    const [ada, bob] = await f.newUsers(2);
    const posts: string[] = [];
    for (let i = 0; i < 70; i++) {
      const post = await f.ids.next();
      posts.push(post);
      await f.inbox.notify({ recipientId: ada!.id, actorId: bob!.id, type: "like", postId: post });
    }
    f.inbox.forgetAll();
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 70 });
    const listed = await allNotifications(ada!.id, 15);
    expect(listed.map((n) => n.postId)).to.deep.equal([...posts].reverse());

    // Marking read below the window has to count from the rows.
    await f.inbox.markRead(ada!.id, listed[60]!.id);
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 60 });
    f.inbox.forgetAll();
    expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 60 });
  });

  it("counts and pages past the memory window across many buckets, also from a marker in an old one", async () => {
    // 3 ms buckets: 70 notifications land in dozens of partitions of the recipient.
    const restore = userNotifications.shape.buckets.use(every(3));
    try {
      const [ada, bob] = await f.newUsers(2);
      const posts: string[] = [];
      for (let i = 0; i < 70; i++) {
        const post = await f.ids.next();
        posts.push(post);
        await f.inbox.notify({ recipientId: ada!.id, actorId: bob!.id, type: "like", postId: post });
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 4));
      }
      const index = await f.store.slice(
        listBuckets,
        { list: "user_notifications", owner_id: ada!.id },
        { limit: 1000 },
      );
      expect(index.rows.length).to.be.at.least(8);
      f.inbox.forgetAll();
      expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 70 });
      for (const limit of [1, 7, 15]) {
        f.inbox.forgetAll();
        const listed = await allNotifications(ada!.id, limit);
        expect(
          listed.map((n) => n.postId),
          `limit ${limit}`,
        ).to.deep.equal([...posts].reverse());
      }
      const listed = await allNotifications(ada!.id, 15);
      await f.inbox.markRead(ada!.id, listed[60]!.id);
      f.inbox.forgetAll();
      expect(await f.inbox.unreadCount(ada!.id)).to.deep.equal({ count: 60 });
    } finally {
      restore();
    }
  });

  it("refuses a cursor it did not hand out", async () => {
    const [ada] = await f.newUsers(1);
    const error = await rejectionOf(f.inbox.listNotifications(ada!.id, { limit: 5, cursor: "bm90LW91cnM" }));
    expect(error.status).to.equal(400);
    expect(error.code).to.equal("INVALID_CURSOR");
  });

  it("hides notifications from someone the recipient blocked later", async () => {
    const [ada, bob, cy] = await f.newUsers(3);
    await f.inbox.notify({ recipientId: ada!.id, actorId: bob!.id, type: "follow" });
    await f.inbox.notify({ recipientId: ada!.id, actorId: cy!.id, type: "follow" });
    await f.graph.block(ada!.id, bob!.id);
    expect((await allNotifications(ada!.id)).map((n) => n.actor.id)).to.deep.equal([cy!.id]);
  });

  it("stores what it records in the recipient's partition", async () => {
    const [ada, bob] = await f.newUsers(2);
    const comment = await f.ids.next();
    const post = await f.ids.next();
    await f.inbox.notify({
      recipientId: ada!.id,
      actorId: bob!.id,
      type: "comment",
      postId: post,
      commentId: comment,
    });
    const rows = (await userNotifications.walk(f.store, ada!.id, { limit: 1000 })).rows;
    expect(rows.map((r) => [r.kind, r.actor_id, r.post_id, r.comment_id])).to.deep.equal([
      ["comment", bob!.id, post, comment],
    ]);
  });
});
