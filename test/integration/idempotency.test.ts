import { randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import { idempotencyKeys, requestFingerprint } from "../../lib/idempotency";
import type { MediaView } from "../../lib/media-library/media-view";
import type { PostView } from "../../lib/posts/posts";
import { createStoriesService } from "../../services/stories.service";
import { uploadPhoto } from "../support/media";
import {
  api,
  signup,
  startTestNode,
  type Account,
  type ErrorBody,
  type JsonResponse,
  type TestNode,
} from "../support/test-node";

type Page<T> = { items: T[]; nextCursor: string | null };

const PHOTO = path.resolve(__dirname, "../fixtures/image.png");
// Shared by every node of this suite, so a token signed on one is good on another sharing the store.
const JWT_SECRET = randomBytes(48).toString("base64url");

describe("Idempotency-Key through the gateway", function () {
  this.timeout(120_000);
  let t: TestNode;

  before(async () => {
    t = await startTestNode({ JWT_SECRET });
  });
  after(async () => {
    await t?.stop();
  });

  function post(
    who: Account,
    body: Record<string, unknown>,
    key?: string,
    base = t.url,
  ): Promise<JsonResponse<PostView & ErrorBody>> {
    return api<PostView & ErrorBody>(base, "POST", "/api/posts", {
      token: who.token,
      body,
      ...(key !== undefined && { headers: { "idempotency-key": key } }),
    });
  }

  async function postsOf(who: Account): Promise<PostView[]> {
    const res = await api<Page<PostView>>(t.url, "GET", `/api/users/${who.username}/posts`, {
      token: who.token,
    });
    expect(res.status, res.text).to.equal(200);
    return res.body.items;
  }

  async function postBody(who: Account, caption = "hello"): Promise<{ caption: string; mediaIds: string[] }> {
    const media = await uploadPhoto(t.url, who);
    return { caption, mediaIds: [media.id] };
  }

  it("answers a retried POST /api/posts with the first answer and makes one post", async () => {
    const ada = await signup(t.url);
    const body = await postBody(ada);
    const key = randomUUID();

    const first = await post(ada, body, key);
    expect(first.status, first.text).to.equal(201);
    expect(first.headers.get("idempotent-replayed")).to.equal(null);
    const retry = await post(ada, body, key);
    expect(retry.status, retry.text).to.equal(201);
    expect(retry.headers.get("idempotent-replayed")).to.equal("true");
    expect(retry.body).to.deep.equal(first.body);
    expect(retry.headers.get("location")).to.equal(first.headers.get("location"));
    expect(retry.headers.get("cache-control")).to.equal("no-store");

    expect((await postsOf(ada)).map((p) => p.id)).to.deep.equal([first.body.id]);
  });

  it("records the answer in the store, where every gateway sharing it finds it", async () => {
    const ada = await signup(t.url);
    const key = randomUUID();
    const first = await post(ada, await postBody(ada), key);
    expect(first.status, first.text).to.equal(201);

    const row = await t.node.app.store!.get(idempotencyKeys, { user_id: ada.user.id, idempotency_key: key });
    expect(row).to.include({ state: "done", status_code: 201 });
    expect(JSON.parse(row!.body!)).to.deep.equal(first.body);
  });

  it("refuses the key for another request: another caption, another route (422)", async () => {
    const ada = await signup(t.url);
    const body = await postBody(ada, "first caption");
    const key = randomUUID();
    expect((await post(ada, body, key)).status).to.equal(201);

    const changed = await post(ada, { ...body, caption: "second caption" }, key);
    expect(changed.status, changed.text).to.equal(422);
    expect(changed.body.error.code).to.equal("IDEMPOTENCY_KEY_REUSED");
    const story = await api<ErrorBody>(t.url, "POST", "/api/stories", {
      token: ada.token,
      body: { mediaId: body.mediaIds[0] },
      headers: { "idempotency-key": key },
    });
    expect(story.status, story.text).to.equal(422);
    expect(story.body.error.code).to.equal("IDEMPOTENCY_KEY_REUSED");

    expect(await postsOf(ada)).to.have.length(1);
  });

  it("answers 409 while a request with the key is in flight, then replays what it recorded", async () => {
    const ada = await signup(t.url);
    const body = await postBody(ada);
    const key = randomUUID();
    // Another gateway holds the key: its request runs and has not answered yet.
    const keys = t.node.app.idempotency!;
    const fingerprint = requestFingerprint("POST", "/api/posts", { kind: "json", value: body });
    const outcome = await keys.begin({ userId: ada.user.id, key, fingerprint });
    if (outcome.kind !== "run") throw new Error("the key should have been free");

    const meanwhile = await post(ada, body, key);
    expect(meanwhile.status, meanwhile.text).to.equal(409);
    expect(meanwhile.body.error.code).to.equal("IDEMPOTENCY_KEY_IN_FLIGHT");

    // What that gateway recorded is what a retry gets, wherever it lands, without running the action.
    const recorded = { id: "123", caption: "recorded elsewhere" };
    await keys.complete(outcome.claim, {
      status: 201,
      body: JSON.stringify(recorded),
      location: "/api/posts/123",
    });
    const retry = await post(ada, body, key);
    expect(retry.status).to.equal(201);
    expect(retry.body).to.deep.equal(recorded);
    expect(retry.headers.get("location")).to.equal("/api/posts/123");
    expect(retry.headers.get("idempotent-replayed")).to.equal("true");
    expect(await postsOf(ada)).to.deep.equal([]);
  });

  it("runs one of two concurrent requests with one key: one post", async () => {
    const ada = await signup(t.url);
    const body = await postBody(ada);
    const key = randomUUID();
    const answers = await Promise.all([post(ada, body, key), post(ada, body, key)]);
    const statuses = answers.map((a) => a.status).sort();
    // The second either meets the first in flight (409) or arrives after it answered (a replay).
    expect([
      [201, 201],
      [201, 409],
    ]).to.deep.include(statuses);
    const created = answers.filter((a) => a.status === 201);
    expect(new Set(created.map((a) => a.body.id)).size).to.equal(1);
    expect(await postsOf(ada)).to.have.length(1);
  });

  it("keeps keys per user", async () => {
    const [ada, bob] = await Promise.all([signup(t.url), signup(t.url)]);
    const key = randomUUID();
    const byAda = await post(ada, await postBody(ada), key);
    const byBob = await post(bob, await postBody(bob), key);
    expect([byAda.status, byBob.status]).to.deep.equal([201, 201]);
    expect(byBob.headers.get("idempotent-replayed")).to.equal(null);
    expect(byBob.body.id).to.not.equal(byAda.body.id);
    expect(byBob.body.author.id).to.equal(bob.user.id);
  });

  it("makes two posts of two requests without a key", async () => {
    const ada = await signup(t.url);
    const body = await postBody(ada);
    const first = await post(ada, body);
    const second = await post(ada, { caption: body.caption, mediaIds: [(await uploadPhoto(t.url, ada)).id] });
    expect([first.status, second.status]).to.deep.equal([201, 201]);
    expect(await postsOf(ada)).to.have.length(2);
  });

  it("refuses a malformed key (400) before anything runs", async () => {
    const ada = await signup(t.url);
    const body = await postBody(ada);
    for (const key of ["k".repeat(256), "clé", '"unterminated']) {
      const res = await post(ada, body, key);
      expect(res.status, `${key}: ${res.text}`).to.equal(400);
      expect(res.body.error.code).to.equal("INVALID_IDEMPOTENCY_KEY");
    }
    expect(await postsOf(ada)).to.deep.equal([]);
  });

  it("replays a client error of the first request", async () => {
    const [ada, bob] = await Promise.all([signup(t.url), signup(t.url)]);
    const notHers = { caption: "x", mediaIds: [(await uploadPhoto(t.url, bob)).id] };
    const key = randomUUID();
    const first = await post(ada, notHers, key);
    expect(first.status, first.text).to.equal(400);
    const retry = await post(ada, notHers, key);
    expect(retry.status).to.equal(400);
    expect(retry.body).to.deep.equal(first.body);
    expect(retry.headers.get("idempotent-replayed")).to.equal("true");
  });

  it("replays a comment instead of commenting twice", async () => {
    const ada = await signup(t.url);
    const created = await post(ada, await postBody(ada));
    const key = randomUUID();
    const comment = () =>
      api<{ id: string }>(t.url, "POST", `/api/posts/${created.body.id}/comments`, {
        token: ada.token,
        body: { text: "first!" },
        headers: { "idempotency-key": key },
      });
    const [first, retry] = [await comment(), await comment()];
    expect([first.status, retry.status]).to.deep.equal([201, 201]);
    expect(retry.body.id).to.equal(first.body.id);
    const comments = await api<Page<{ id: string }>>(t.url, "GET", `/api/posts/${created.body.id}/comments`, {
      token: ada.token,
    });
    expect(comments.body.items.map((c) => c.id)).to.deep.equal([first.body.id]);
  });

  it("gives a retried multipart upload the same media id", async () => {
    const ada = await signup(t.url);
    const bytes = Buffer.concat([await readFile(PHOTO), Buffer.from(randomUUID())]);
    const upload = async (key?: string) => {
      const form = new FormData();
      form.append("file", new Blob([bytes], { type: "image/png" }), "photo.png");
      const res = await fetch(`${t.url}/api/media`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${ada.token}`,
          ...(key !== undefined && { "idempotency-key": key }),
        },
        body: form,
      });
      return {
        status: res.status,
        replayed: res.headers.get("idempotent-replayed"),
        body: (await res.json()) as MediaView,
      };
    };
    const key = randomUUID();
    const first = await upload(key);
    const retry = await upload(key);
    expect([first.status, retry.status]).to.deep.equal([201, 201]);
    expect(retry.replayed).to.equal("true");
    expect(retry.body.id).to.equal(first.body.id);
    // Without a key the same bytes make a new media.
    expect((await upload()).body.id).to.not.equal(first.body.id);
  });

  it("replays an upload refused for its bytes (415) without reading the file again", async () => {
    const ada = await signup(t.url);
    const key = randomUUID();
    const upload = async () => {
      const form = new FormData();
      form.append("file", new Blob([Buffer.from("not a picture at all")], { type: "image/png" }), "fake.png");
      const res = await fetch(`${t.url}/api/media`, {
        method: "POST",
        headers: { authorization: `Bearer ${ada.token}`, "idempotency-key": key },
        body: form,
      });
      return { status: res.status, replayed: res.headers.get("idempotent-replayed"), text: await res.text() };
    };
    const first = await upload();
    expect(first.status, first.text).to.equal(415);
    const retry = await upload();
    expect(retry).to.deep.equal({ ...first, replayed: "true" });
  });

  it("replays from another gateway node sharing the store (Cassandra)", async function () {
    if (process.env.MOSAIC_TEST_STORE !== "cassandra") this.skip();
    const other = await startTestNode({ JWT_SECRET, WORKER_ID: "2" });
    try {
      const ada = await signup(t.url);
      const body = await postBody(ada);
      const key = randomUUID();
      const first = await post(ada, body, key);
      expect(first.status, first.text).to.equal(201);
      const elsewhere = await post(ada, body, key, other.url);
      expect(elsewhere.status, elsewhere.text).to.equal(201);
      expect(elsewhere.headers.get("idempotent-replayed")).to.equal("true");
      expect(elsewhere.body).to.deep.equal(first.body);
      expect(await postsOf(ada)).to.have.length(1);
    } finally {
      await other.stop();
    }
  });
});

describe("Idempotency-Key on answers that ask for a retry", function () {
  this.timeout(120_000);
  let t: TestNode;

  before(async () => {
    t = await startTestNode({ RATE_LIMITS: "on", QUOTA_POSTS_PER_HOUR: "1" });
  });
  after(async () => {
    await t?.stop();
  });

  it("does not keep a 429: the key is free and a retry runs again", async () => {
    const ada = await signup(t.url);
    const first = await api(t.url, "POST", "/api/posts", {
      token: ada.token,
      body: { mediaIds: [(await uploadPhoto(t.url, ada)).id] },
    });
    expect(first.status, first.text).to.equal(201);

    const key = randomUUID();
    const body = { mediaIds: [(await uploadPhoto(t.url, ada)).id] };
    const send = () =>
      api<ErrorBody>(t.url, "POST", "/api/posts", {
        token: ada.token,
        body,
        headers: { "idempotency-key": key },
      });
    const limited = await send();
    expect(limited.status, limited.text).to.equal(429);
    expect(
      await t.node.app.store!.get(idempotencyKeys, { user_id: ada.user.id, idempotency_key: key }),
    ).to.equal(undefined);
    const again = await send();
    expect(again.status).to.equal(429);
    expect(again.headers.get("idempotent-replayed")).to.equal(null);
  });

  it("does not keep a 503: the key is free for a retry once the service is back", async () => {
    const ada = await signup(t.url);
    const mediaId = (await uploadPhoto(t.url, ada)).id;
    const key = randomUUID();
    await t.node.broker.destroyService(t.node.broker.getLocalService("stories"));
    const down = await api<ErrorBody>(t.url, "POST", "/api/stories", {
      token: ada.token,
      body: { mediaId },
      headers: { "idempotency-key": key },
    });
    expect(down.status, down.text).to.equal(503);
    expect(
      await t.node.app.store!.get(idempotencyKeys, { user_id: ada.user.id, idempotency_key: key }),
    ).to.equal(undefined);

    t.node.broker.createService(createStoriesService({ stories: t.node.app.stories! }));
    await t.node.broker.waitForServices(["stories"], 10_000);
    const retry = await api<{ id: string }>(t.url, "POST", "/api/stories", {
      token: ada.token,
      body: { mediaId },
      headers: { "idempotency-key": key },
    });
    expect(retry.status, retry.text).to.equal(201);
    expect(retry.headers.get("idempotent-replayed")).to.equal(null);
  });
});
