import { expect } from "chai";
import type { PushPayload } from "../../lib/push";
import type { PushSubscriptionView } from "../../lib/push/params";
import { eventually } from "../support/eventually";
import { createPost } from "../support/media";
import { FakePushService, type BrowserSubscription } from "../support/push-service";
import { openStream } from "../support/sse";
import { api, signup, startTestNode, type Account, type TestNode } from "../support/test-node";

interface ErrorBody {
  error?: { code: string };
}

/** Issue #16: Web Push (RFC 8030, 8291, 8292) to a push service in this process that decrypts every push. */
describe("Web Push", function () {
  this.timeout(120_000);
  let t: TestNode;
  const service = new FakePushService();

  before(async () => {
    await service.start();
    // The push service here is plain http on 127.0.0.1; browsers' are all https.
    t = await startTestNode({ PUSH_INSECURE_ENDPOINTS: "on", VAPID_SUBJECT: "mailto:ops@example.com" });
  });
  after(async () => {
    await t.stop();
    await service.stop();
  });
  afterEach(() => {
    expect(service.problems, "pushes the service refused").to.deep.equal([]);
  });

  const push = () => {
    const built = t.node.app.push;
    if (built === undefined) throw new Error("the test node hosts the inbox");
    return built;
  };
  /** Every push asked for so far has been decided, queued and sent (or given up). */
  const settled = async () => {
    expect(await push().webPush.idle()).to.equal(true);
    expect(await push().sender.idle()).to.equal(true);
  };
  const subscribe = (who: Account, browser: BrowserSubscription, kinds?: string[]) =>
    api<PushSubscriptionView & ErrorBody>(t.url, "POST", "/api/push/subscriptions", {
      token: who.token,
      body: { endpoint: browser.endpoint, keys: browser.keys, ...(kinds && { kinds }) },
    });
  const payloads = (id: string) => service.pushesTo(id).map((p) => p.payload as PushPayload);
  let n = 0;
  const newId = () => `sub${++n}`;

  it("subscribes with the server's VAPID key, lists, replaces by endpoint, and unsubscribes", async () => {
    const ada = await signup(t.url);
    const key = await api<{ publicKey: string }>(t.url, "GET", "/api/push/key", { token: ada.token });
    expect(key.status).to.equal(200);
    expect(Buffer.from(key.body.publicKey, "base64url")).to.have.length(65);
    const id = newId();
    const browser = service.subscribe(id);
    const made = await subscribe(ada, browser, ["likes", "messages"]);
    expect(made.status, made.text).to.equal(201);
    expect(made.body).to.include({ endpoint: browser.endpoint });
    expect(made.body.kinds).to.deep.equal(["likes", "messages"]);
    // The same endpoint again replaces it (a browser renewing its subscription).
    expect((await subscribe(ada, browser)).status).to.equal(201);
    const listed = await api<{ items: PushSubscriptionView[] }>(t.url, "GET", "/api/push/subscriptions", {
      token: ada.token,
    });
    expect(listed.body.items).to.have.length(1);
    expect(listed.body.items[0]?.kinds).to.have.members([
      "likes",
      "comments",
      "follows",
      "mentions",
      "messages",
    ]);
    const gone = await api(t.url, "DELETE", "/api/push/subscriptions", {
      token: ada.token,
      body: { endpoint: browser.endpoint },
    });
    expect(gone.status, gone.text).to.equal(204);
    const again = await api<ErrorBody>(t.url, "DELETE", "/api/push/subscriptions", {
      token: ada.token,
      body: { endpoint: browser.endpoint },
    });
    expect([again.status, again.body.error?.code]).to.deep.equal([404, "PUSH_SUBSCRIPTION_NOT_FOUND"]);

    const good = service.subscribe(newId());
    for (const body of [
      { endpoint: "not a url", keys: good.keys },
      { endpoint: "ftp://example.com/x", keys: good.keys },
      { endpoint: good.endpoint, keys: { ...good.keys, p256dh: good.keys.auth } },
      { endpoint: good.endpoint, keys: { ...good.keys, auth: "short" } },
      { endpoint: good.endpoint, keys: good.keys, kinds: [] },
      { endpoint: good.endpoint, keys: good.keys, kinds: ["likes", "likes"] },
      { endpoint: good.endpoint, keys: good.keys, kinds: ["everything"] },
      { endpoint: good.endpoint },
    ]) {
      const bad = await api<ErrorBody>(t.url, "POST", "/api/push/subscriptions", { token: ada.token, body });
      expect([bad.status, bad.body.error?.code], JSON.stringify(body)).to.deep.equal([
        400,
        "VALIDATION_FAILED",
      ]);
    }
  });

  it("pushes each notification and message, encrypted for the browser and signed, for the kinds it asked", async () => {
    const [ada, bob] = await Promise.all([signup(t.url), signup(t.url)]);
    const [everything, messagesOnly] = [newId(), newId()];
    expect((await subscribe(ada, service.subscribe(everything))).status).to.equal(201);
    expect((await subscribe(ada, service.subscribe(messagesOnly), ["messages"])).status).to.equal(201);

    await api(t.url, "POST", `/api/users/${ada.username}/follow`, { token: bob.token });
    const post = await createPost(t.url, ada, "sunset");
    await api(t.url, "POST", `/api/posts/${post.id}/like`, { token: bob.token });
    await api(t.url, "POST", `/api/posts/${post.id}/comments`, {
      token: bob.token,
      body: { text: `lovely, @${ada.username}` },
    });
    const conversation = await api<{ id: string }>(t.url, "POST", "/api/conversations", {
      token: bob.token,
      body: { usernames: [ada.username] },
    });
    await api(t.url, "POST", `/api/conversations/${conversation.body.id}/messages`, {
      token: bob.token,
      body: { text: "see you at eight" },
    });
    await eventually(() => Promise.resolve(payloads(everything).length >= 5), "five pushes arrive");
    await settled();

    const got = payloads(everything);
    expect(got.map((p) => p.kind)).to.have.members(["follows", "likes", "comments", "mentions", "messages"]);
    expect(got).to.deep.include({
      kind: "likes",
      title: "Mosaic",
      body: `${bob.username} liked your post`,
      url: `/p/${post.id}`,
      tag: got.find((p) => p.kind === "likes")?.tag ?? "",
    });
    expect(got.find((p) => p.kind === "messages")).to.deep.equal({
      kind: "messages",
      title: bob.username,
      body: "see you at eight",
      url: `/messages/${conversation.body.id}`,
      tag: `conversation:${conversation.body.id}`,
    });
    expect(payloads(messagesOnly).map((p) => p.kind)).to.deep.equal(["messages"]);
    // Signed with the key the API hands out, for this push service, naming the operator's contact.
    const key = await api<{ publicKey: string }>(t.url, "GET", "/api/push/key", { token: ada.token });
    for (const received of service.pushesTo(everything)) {
      expect(received.vapid).to.include({ publicKey: key.body.publicKey, sub: "mailto:ops@example.com" });
      expect(Number(received.ttl)).to.be.greaterThan(0);
    }
    // The sender is not pushed their own message.
    expect(service.received.filter((p) => (p.payload as PushPayload).title === ada.username)).to.deep.equal(
      [],
    );
  });

  it("pushes nothing while the user has a stream open, and again once it closes", async () => {
    const [ada, bob] = await Promise.all([signup(t.url), signup(t.url)]);
    const id = newId();
    expect((await subscribe(ada, service.subscribe(id))).status).to.equal(201);
    const post = await createPost(t.url, ada, "at the beach");
    const stream = await openStream(t.url, { token: ada.token });
    await api(t.url, "POST", `/api/posts/${post.id}/like`, { token: bob.token });
    await stream.next((e) => e.event === "notification");
    await settled();
    expect(payloads(id)).to.deep.equal([]);
    stream.close();
    await eventually(async () => !(await t.node.app.presence.online(ada.user.id)), "the stream is closed");
    await api(t.url, "POST", `/api/posts/${post.id}/comments`, { token: bob.token, body: { text: "nice" } });
    await eventually(() => Promise.resolve(payloads(id).length === 1), "the comment is pushed");
    expect(payloads(id)[0]?.kind).to.equal("comments");
  });

  it("retries a push the service cannot take yet, and forgets a subscription the service says is gone", async () => {
    const [ada, bob] = await Promise.all([signup(t.url), signup(t.url)]);
    const [flaky, gone] = [newId(), newId()];
    const flakyBrowser = service.subscribe(flaky);
    expect((await subscribe(ada, flakyBrowser)).status).to.equal(201);
    expect((await subscribe(ada, service.subscribe(gone))).status).to.equal(201);
    service.answer(flaky, 503, 429);
    service.answer(gone, 410);
    await api(t.url, "POST", `/api/users/${ada.username}/follow`, { token: bob.token });
    await eventually(
      () => Promise.resolve(payloads(flaky).length === 1),
      "the push gets through on its third try",
      20_000,
    );
    await settled();
    expect(payloads(flaky)[0]).to.include({ kind: "follows", body: `${bob.username} started following you` });
    const listed = await api<{ items: PushSubscriptionView[] }>(t.url, "GET", "/api/push/subscriptions", {
      token: ada.token,
    });
    expect(listed.body.items.map((s) => s.endpoint)).to.deep.equal([flakyBrowser.endpoint]);
  });
});
