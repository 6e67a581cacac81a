import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import type { MediaView } from "../../lib/media-library/media-view";
import type { UserView } from "../../lib/contracts/objects";
import { api, signup, startTestNode, type ErrorBody, type TestNode } from "../support/test-node";
import { openStream, type OpenStream, type ReceivedEvent } from "../support/sse";

type Account = Awaited<ReturnType<typeof signup>>;
interface NotificationData {
  id: string;
  type: string;
  actor: { username: string };
}
interface MessageData {
  id: string;
  conversationId: string;
  text?: string;
  sender: { username: string };
}

describe("the event stream (GET /api/stream)", function () {
  this.timeout(60_000);
  let t: TestNode;
  const open: OpenStream[] = [];
  const stream = async (options: Parameters<typeof openStream>[1]) => {
    const s = await openStream(t.url, options);
    open.push(s);
    return s;
  };

  before(async () => {
    t = await startTestNode({ STREAM_MAX_PER_USER: "2", STREAM_HEARTBEAT_SECONDS: "1" });
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  after(async () => {
    await t.stop();
  });

  const follow = (who: Account, whom: Account) =>
    api(t.url, "POST", `/api/users/${whom.username}/follow`, { token: who.token });
  const isNotification = (type: string, actor: Account) => (e: ReceivedEvent) =>
    e.event === "notification" &&
    (e.data as NotificationData).type === type &&
    (e.data as NotificationData).actor.username === actor.username;

  async function dm(from: Account, to: Account, text: string): Promise<MessageData> {
    const conversation = await api<{ id: string }>(t.url, "POST", "/api/conversations", {
      token: from.token,
      body: { usernames: [to.username] },
    });
    expect(conversation.status, conversation.text).to.be.oneOf([200, 201]);
    const sent = await api<MessageData>(
      t.url,
      "POST",
      `/api/conversations/${conversation.body.id}/messages`,
      {
        token: from.token,
        body: { text },
      },
    );
    expect(sent.status, sent.text).to.equal(201);
    return sent.body;
  }

  it("keeps serving the API and opening streams past the broker's bulkhead of 64 open streams", async () => {
    const within = <T>(what: string, promise: Promise<T>): Promise<T> =>
      Promise.race([
        promise,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`${what}: no answer in 5 s`)), 5_000),
        ),
      ]);
    const users: Account[] = [];
    for (let i = 0; i < 36; i++) users.push(await signup(t.url));
    // Two streams each (STREAM_MAX_PER_USER here): 72 open at once.
    for (const user of users) {
      for (let n = 0; n < 2; n++) {
        const s = await within(`stream ${open.length + 1}`, stream({ token: user.token }));
        expect(s.status).to.equal(200);
      }
    }
    const [first, last] = [users[0], users[users.length - 1]] as [Account, Account];
    const me = await within("GET /api/me", api<UserView>(t.url, "GET", "/api/me", { token: first.token }));
    expect(me.status, me.text).to.equal(200);
    expect(me.body.username).to.equal(first.username);
    // And the last stream opened is live.
    const followed = await within("POST follow", follow(first, last));
    expect(followed.status, followed.text).to.be.oneOf([200, 201]);
    await (open[open.length - 1] as OpenStream).next(isNotification("follow", first));
  });

  it("refuses a missing, malformed or unknown token with 401 and a bad Last-Event-ID with 400", async () => {
    const a = await signup(t.url);
    for (const options of [
      {},
      { token: "not a token" },
      { token: "abc.def.ghi" },
      { query: "?access_token=x.y.z" },
    ]) {
      const res = await fetch(`${t.url}/api/stream${"query" in options ? options.query : ""}`, {
        headers: "token" in options ? { authorization: `Bearer ${options.token}` } : {},
      });
      expect(res.status, JSON.stringify(options)).to.equal(401);
      expect(((await res.json()) as ErrorBody).error.code).to.equal("UNAUTHORIZED");
    }
    const bad = await fetch(`${t.url}/api/stream`, {
      headers: { authorization: `Bearer ${a.token}`, "last-event-id": "yesterday" },
    });
    expect(bad.status).to.equal(400);
  });

  it("streams notifications and messages to the signed-in user only, with heartbeats", async () => {
    const [a, b, c] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    const mine = await stream({ token: a.token });
    const theirs = await stream({ token: c.token });
    expect(mine.status).to.equal(200);
    expect(mine.contentType).to.match(/^text\/event-stream/);

    expect((await follow(b, a)).status).to.equal(200);
    const followed = await mine.next(isNotification("follow", b));
    expect(followed.id).to.equal((followed.data as NotificationData).id);

    const message = await dm(b, a, "hello over the stream");
    const received = await mine.next(
      (e) => e.event === "message" && (e.data as MessageData).id === message.id,
    );
    expect((received.data as MessageData).text).to.equal("hello over the stream");
    expect(received.id, "an event id of its own, minted in the recipient's inbox").to.match(/^\d+$/);

    await mine.next(() => mine.comments.includes("heartbeat"), 5_000).catch(() => undefined);
    expect(mine.comments).to.include("heartbeat");
    expect(theirs.events, "another user's stream hears nothing of it").to.deep.equal([]);
  });

  it("takes the token from ?access_token= for browsers' EventSource", async () => {
    const [a, b] = [await signup(t.url), await signup(t.url)];
    const s = await stream({ query: `?access_token=${a.token}` });
    expect(s.status).to.equal(200);
    await follow(b, a);
    await s.next(isNotification("follow", b));
  });

  it("tells followers of a new post with a feed event that resumes after the last inbox event", async () => {
    const [reader, author, fan] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    await follow(reader, author);
    const s = await stream({ token: reader.token });
    await follow(fan, reader);
    const followed = await s.next(isNotification("follow", fan));
    const form = new FormData();
    const photo = await readFile(path.resolve(__dirname, "../fixtures/image.png"));
    form.append("file", new Blob([photo, Buffer.from(author.username)], { type: "image/png" }), "a.png");
    const media = (await (
      await fetch(`${t.url}/api/media`, {
        method: "POST",
        headers: { authorization: `Bearer ${author.token}` },
        body: form,
      })
    ).json()) as MediaView;
    const post = await api<{ id: string }>(t.url, "POST", "/api/posts", {
      token: author.token,
      body: { mediaIds: [media.id] },
    });
    expect(post.status).to.equal(201);
    const event = await s.next((e) => e.event === "feed");
    expect(event.data).to.deep.equal({ postId: post.body.id });
    // The inbox keeps no feed events: a client resuming from this one must get what followed the notification.
    expect(event.id).to.equal(followed.id);
  });

  it("replays what was missed after Last-Event-ID, in order, once each", async () => {
    const [a, b, c, d] = [await signup(t.url), await signup(t.url), await signup(t.url), await signup(t.url)];
    const first = await stream({ token: a.token });
    await follow(b, a);
    const seen = await first.next(isNotification("follow", b));
    first.close();

    await follow(c, a);
    const missed = await dm(d, a, "while you were away");
    const again = await stream({ token: a.token, lastEventId: seen.id });
    await again.next((e) => e.event === "message" && (e.data as MessageData).id === missed.id);
    const ids = again.events.map((e) => e.id);
    expect(again.events.map((e) => e.event)).to.deep.equal(["notification", "message"]);
    expect((again.events[0]?.data as NotificationData).actor.username).to.equal(c.username);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(ids).to.not.include(seen.id);
  });

  it("closes the oldest stream past the per-user bound, and a session's streams when it logs out", async () => {
    const a = await signup(t.url);
    const first = await stream({ token: a.token });
    const second = await stream({ token: a.token });
    const third = await stream({ token: a.token });
    await first.ended;
    expect(second.isEnded() || third.isEnded()).to.equal(false);

    const login = await api<{ token: string }>(t.url, "POST", "/api/auth/login", {
      body: { login: a.username, password: a.password },
    });
    expect(login.status, login.text).to.equal(200);
    const phone = await stream({ token: login.body.token });
    await second.ended;
    expect((await api(t.url, "POST", "/api/auth/logout", { token: login.body.token })).status).to.equal(204);
    await phone.ended;
    expect(third.isEnded(), "the other session's stream stays").to.equal(false);
  });
});

describe("the event stream on shutdown", function () {
  this.timeout(60_000);

  it("ends open streams cleanly, so the node stops instead of waiting for them", async () => {
    const t = await startTestNode();
    const a = await signup(t.url);
    const s = await openStream(t.url, { token: a.token });
    expect(s.status).to.equal(200);
    await t.stop();
    await s.ended;
    expect(s.isEnded()).to.equal(true);
  });
});
