import { ActorMemory } from "../../../lib/concurrency/actor-memory";
import { expect } from "chai";
import { Inbox } from "../../../lib/inbox";
import { notifications } from "../../../lib/inbox/tables";
import type { WideRowStore } from "../../../lib/store/store";
import { inboxFixture, type InboxFixture } from "./fixture";

/** Holds every slice of the notifications table (after it has read) until released. */
function withHeldSlices(store: WideRowStore): {
  store: WideRowStore;
  release: () => void;
  held: () => number;
} {
  let waiting: (() => void)[] = [];
  let holding = true;
  const slice: WideRowStore["slice"] = async (table, ...rest) => {
    const result = await store.slice(table, ...rest);
    if (holding && table.name === notifications.name)
      await new Promise<void>((resolve) => waiting.push(resolve));
    return result;
  };
  const replaced: Partial<Record<PropertyKey, unknown>> = { slice };
  return {
    store: new Proxy(store, {
      get: (target, prop, receiver): unknown => replaced[prop] ?? Reflect.get(target, prop, receiver),
    }),
    release: () => {
      holding = false;
      for (const resume of waiting) resume();
      waiting = [];
    },
    held: () => waiting.length,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("Inbox actors", () => {
  let f: InboxFixture;

  beforeEach(async () => {
    f = await inboxFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  it("keeps a notification that lands while the owner rebuilds the user's memory from the rows", async () => {
    const [ada, bob, cy] = await f.newUsers(3);
    await f.inbox.notify({ recipientId: ada!.id, actorId: bob!.id, type: "follow" });
    const gate = withHeldSlices(f.store);
    const owner = f.inboxOver(gate.store);

    // The rebuild reads the rows (without the new one), then the notify writes, then the rebuild finishes.
    const reading = owner.unreadCount(ada!.id);
    while (gate.held() === 0) await tick();
    let notified = false;
    const notifying = owner
      .notify({ recipientId: ada!.id, actorId: cy!.id, type: "follow" })
      .then(() => (notified = true));
    // Unless the owner makes the notify wait for the rebuild, it runs to its end now; give it every chance to.
    for (let i = 0; i < 50 && !notified; i++) await new Promise((r) => setTimeout(r, 2));
    gate.release();
    await Promise.all([reading, notifying]);

    expect(await owner.unreadCount(ada!.id)).to.deep.equal({ count: 2 });
    const page = await owner.listNotifications(ada!.id, { limit: 10 });
    expect(page.items.map((n) => n.actor.id)).to.deep.equal([cy!.id, bob!.id]);
  });

  it("replays a user's events after an id, oldest first, notifications and messages alike", async () => {
    const [ada, bob] = await f.newUsers(2);
    await f.inbox.notify({ recipientId: ada!.id, actorId: bob!.id, type: "follow" });
    await f.inbox.notify({
      recipientId: ada!.id,
      actorId: bob!.id,
      type: "like",
      postId: await f.ids.next(),
    });
    const { conversation } = await f.inbox.openConversation(bob!.id, [ada!.username]);
    const sent = await f.inbox.send(bob!.id, conversation.id, { text: "hey" });

    const published = f.published.filter((p) => p.userIds.includes(ada!.id)).map((p) => p.event);
    expect(published.map((e) => e.event)).to.deep.equal(["notification", "notification", "message"]);

    const replayed = await f.inbox.replay(ada!.id, published[0]!.id);
    expect(replayed.events).to.deep.equal(published.slice(1));
    expect(replayed.events[1]!.data).to.deep.include({ id: sent.id, text: "hey" });
    expect((await f.inbox.replay(ada!.id, published[0]!.id, 1)).events).to.deep.equal([published[1]]);
    expect((await f.inbox.replay(ada!.id, published[2]!.id)).events).to.deep.equal([]);

    // Bob's log holds his own copy of the message only.
    const bobs = await f.inbox.replay(bob!.id, "1");
    expect(bobs.events.map((e) => e.event)).to.deep.equal(["message"]);
    expect(bobs.events[0]!.data).to.deep.include({ id: sent.id });
  });

  it("a second owner that takes over a user answers from the rows what the first one kept", async () => {
    const [ada, bob, cy] = await f.newUsers(3);
    await f.inbox.notify({ recipientId: ada!.id, actorId: bob!.id, type: "follow" });
    await f.inbox.notify({ recipientId: ada!.id, actorId: cy!.id, type: "follow" });
    const first = (await f.inbox.listNotifications(ada!.id, { limit: 5 })).items;
    await f.inbox.markRead(ada!.id, first[1]!.id);

    const next = new Inbox(f.deps);
    expect(await next.unreadCount(ada!.id)).to.deep.equal({ count: 1 });
    // The same action again is still once, whoever owns the inbox now.
    await next.notify({ recipientId: ada!.id, actorId: bob!.id, type: "follow" });
    expect(
      (await next.listNotifications(ada!.id, { limit: 5 })).items.map((n) => [n.actor.id, n.read]),
    ).to.deep.equal([
      [cy!.id, false],
      [bob!.id, true],
    ]);
  });

  it("keeps at most its bound of users in memory", async () => {
    const users = await f.newUsers(3);
    const inbox = new Inbox(f.deps, { maxUsers: 2 });
    for (const user of users) await inbox.unreadCount(user.id);
    expect(inbox.size).to.equal(2);
    inbox.forgetAll();
    expect(inbox.size).to.equal(0);
  });

  it("keeps no memory for a while after ownership moved, so writes through the old owner are not missed", async () => {
    let now = 1_000;
    const inboxes = new ActorMemory<number>(10, () => now, 30_000);
    let stored = 1;
    const build = () => Promise.resolve(stored);
    expect(await inboxes.load("u", build)).to.equal(1);
    inboxes.forgetAll();
    expect(await inboxes.load("u", build)).to.equal(1);
    // A caller that has not seen the new ring yet writes through the old owner, straight to the store.
    stored = 2;
    expect(await inboxes.load("u", build)).to.equal(2);
    now += 30_001;
    expect(await inboxes.load("u", build)).to.equal(2);
    stored = 3;
    expect(await inboxes.load("u", build), "settled: memory is kept again").to.equal(2);
  });
});
