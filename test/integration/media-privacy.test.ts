import { expect } from "chai";
import type { MediaView } from "../../lib/media-library/media-view";
import type { PostView } from "../../lib/posts/posts";
import { uploadPhoto } from "../support/media";
import { api, signup, startTestNode, type Account, type TestNode } from "../support/test-node";

const TTL_SECONDS = 600;
const GRACE_SECONDS = 60;

interface MessageBody {
  media?: MediaView;
}

/** Issue #9: who may fetch a media file, and for how long. */
describe("media privacy (signed URLs, deletes, going private)", function () {
  this.timeout(120_000);
  let t: TestNode;
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;

  before(async () => {
    t = await startTestNode(
      { MEDIA_URL_TTL_SECONDS: String(TTL_SECONDS), MEDIA_DELETE_GRACE_SECONDS: String(GRACE_SECONDS) },
      { now: clock },
    );
  });
  after(async () => {
    await t.stop();
  });
  beforeEach(() => {
    offsetMs = 0;
  });

  async function post(owner: Account): Promise<PostView> {
    const media = await uploadPhoto(t.url, owner, { ready: true });
    const res = await api<PostView>(t.url, "POST", "/api/posts", {
      token: owner.token,
      body: { caption: "hi", mediaIds: [media.id] },
    });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  async function setPrivate(account: Account, isPrivate: boolean): Promise<void> {
    const res = await api(t.url, "PATCH", "/api/me", { token: account.token, body: { isPrivate } });
    expect(res.status, res.text).to.equal(200);
  }

  async function follow(follower: Account, owner: Account): Promise<void> {
    await api(t.url, "POST", `/api/users/${owner.username}/follow`, { token: follower.token });
    await api(t.url, "POST", `/api/follow-requests/${follower.username}/approve`, { token: owner.token });
  }

  const plain = (url: string) => url.split("?")[0] ?? url;
  const fetchStatus = async (url: string) => (await fetch(url)).status;

  it("serves a private account's post only at signed URLs, to those who may see it, until they expire", async () => {
    const owner = await signup(t.url);
    const follower = await signup(t.url);
    const stranger = await signup(t.url);
    await setPrivate(owner, true);
    await follow(follower, owner);
    const created = await post(owner);
    const thumb = created.media[0]?.variants.thumb?.url ?? "";
    expect(thumb).to.match(/\/media\/\d+\/\d+\/thumb\.\w+\?exp=\d+&sig=[\w-]+$/);

    // Anonymous, or anyone with the guessable plain path: 404, as if there were no file.
    expect(await fetchStatus(plain(thumb))).to.equal(404);
    expect((await fetch(plain(thumb), { method: "HEAD" })).status).to.equal(404);
    // A stranger cannot get the post, hence no URL.
    const seen = await api(t.url, "GET", `/api/posts/${created.id}`, { token: stranger.token });
    expect(seen.status).to.equal(404);

    const viewed = await api<PostView>(t.url, "GET", `/api/posts/${created.id}`, { token: follower.token });
    expect(viewed.status).to.equal(200);
    const url = viewed.body.media[0]?.variants.thumb?.url ?? "";
    const res = await fetch(url);
    expect(res.status).to.equal(200);
    const cacheControl = res.headers.get("cache-control") ?? "";
    expect(cacheControl).to.match(/^private, max-age=\d+$/);
    const maxAge = Number(/max-age=(\d+)/.exec(cacheControl)?.[1]);
    expect(maxAge).to.be.within(TTL_SECONDS - 5, TTL_SECONDS + TTL_SECONDS / 6 + 5);
    expect((await res.arrayBuffer()).byteLength).to.be.greaterThan(0);

    // Within one bucket the same URL comes back, so a browser's cache is reused.
    const again = await api<PostView>(t.url, "GET", `/api/posts/${created.id}`, { token: follower.token });
    expect(again.body.media[0]?.variants.thumb?.url).to.equal(url);

    // A tampered signature, or the signature moved to another path: 404.
    const sig = new URL(url).searchParams.get("sig") ?? "";
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    expect(await fetchStatus(url.replace(`sig=${sig}`, `sig=${flipped}`))).to.equal(404);
    const exp = new URL(url).searchParams.get("exp") ?? "";
    expect(await fetchStatus(url.replace(`exp=${exp}`, `exp=${Number(exp) + 600}`))).to.equal(404);
    const small = viewed.body.media[0]?.variants.small?.url ?? "";
    expect(await fetchStatus(`${plain(small)}?${new URL(url).searchParams.toString()}`)).to.equal(404);

    // Past its expiry: 404.
    offsetMs = (Number(exp) + 1) * 1000 - Date.now();
    expect(await fetchStatus(url)).to.equal(404);
  });

  it("keeps a public account's media public and cacheable at the plain URL", async () => {
    const owner = await signup(t.url);
    const created = await post(owner);
    const url = created.media[0]?.variants.thumb?.url ?? "";
    expect(url).to.not.contain("?");
    const res = await fetch(url);
    expect(res.status).to.equal(200);
    expect(res.headers.get("cache-control")).to.equal("public, max-age=31536000, immutable");
  });

  it("answers 404 for a deleted post's files at once, and removes them after the grace period", async () => {
    const owner = await signup(t.url);
    const created = await post(owner);
    const url = created.media[0]?.variants.large?.url ?? "";
    expect(await fetchStatus(url)).to.equal(200);
    // Remembered by the gateway now: the delete must still apply at once.
    const del = await api(t.url, "DELETE", `/api/posts/${created.id}`, { token: owner.token });
    expect(del.status).to.equal(204);
    expect(await fetchStatus(url)).to.equal(404);

    const key = new URL(url).pathname.slice(1);
    const blobs = t.node.app.blobs;
    const library = t.node.app.media?.library;
    if (!blobs || !library) throw new Error("the test node has no media library");
    expect(await blobs.head(key), "kept during the grace period").to.not.equal(undefined);
    await library.sweepDeleted();
    expect(await blobs.head(key), "still within the grace period").to.not.equal(undefined);
    offsetMs = (GRACE_SECONDS + 1) * 1000;
    await library.sweepDeleted();
    expect(await blobs.head(key), "removed after the grace period").to.equal(undefined);
    expect(await fetchStatus(url)).to.equal(404);
  });

  it("turns public URLs into 404 when the owner goes private, and back when public again", async () => {
    const owner = await signup(t.url);
    const created = await post(owner);
    const url = created.media[0]?.variants.thumb?.url ?? "";
    expect(await fetchStatus(url)).to.equal(200);
    await setPrivate(owner, true);
    expect(await fetchStatus(url)).to.equal(404);
    const own = await api<PostView>(t.url, "GET", `/api/posts/${created.id}`, { token: owner.token });
    const signed = own.body.media[0]?.variants.thumb?.url ?? "";
    expect(signed).to.contain("sig=");
    expect(await fetchStatus(signed)).to.equal(200);
    await setPrivate(owner, false);
    expect(await fetchStatus(url)).to.equal(200);
    const again = await api<PostView>(t.url, "GET", `/api/posts/${created.id}`, { token: owner.token });
    expect(again.body.media[0]?.variants.thumb?.url).to.equal(url);
  });

  it("serves a public account's avatar publicly and a private account's only signed", async () => {
    const owner = await signup(t.url);
    const media = await uploadPhoto(t.url, owner, { ready: true });
    const set = await api<{ avatarUrl: string }>(t.url, "PATCH", "/api/me", {
      token: owner.token,
      body: { avatarMediaId: media.id },
    });
    expect(set.status, set.text).to.equal(200);
    expect(set.body.avatarUrl).to.not.contain("?");
    expect(await fetchStatus(set.body.avatarUrl)).to.equal(200);
    await setPrivate(owner, true);
    expect(await fetchStatus(set.body.avatarUrl)).to.equal(404);
    const other = await signup(t.url);
    const seen = await api<{ avatarUrl: string }>(t.url, "GET", `/api/users/${owner.username}`, {
      token: other.token,
    });
    expect(seen.body.avatarUrl).to.contain("sig=");
    expect(await fetchStatus(seen.body.avatarUrl)).to.equal(200);
  });

  it("serves a direct message's photo only at signed URLs, even from a public account", async () => {
    const sender = await signup(t.url);
    const recipient = await signup(t.url);
    const opened = await api<{ id: string }>(t.url, "POST", "/api/conversations", {
      token: sender.token,
      body: { usernames: [recipient.username] },
    });
    expect(opened.status, opened.text).to.be.oneOf([200, 201]);
    const media = await uploadPhoto(t.url, sender, { ready: true });
    const sent = await api<MessageBody>(t.url, "POST", `/api/conversations/${opened.body.id}/messages`, {
      token: sender.token,
      body: { mediaId: media.id },
    });
    expect(sent.status, sent.text).to.equal(201);
    const page = await api<{ items: MessageBody[] }>(
      t.url,
      "GET",
      `/api/conversations/${opened.body.id}/messages`,
      { token: recipient.token },
    );
    const url = page.body.items[0]?.media?.variants.thumb?.url ?? "";
    expect(url).to.contain("sig=");
    expect(await fetchStatus(url)).to.equal(200);
    expect(await fetchStatus(plain(url))).to.equal(404);
  });

  it("serves an upload not used anywhere yet only to its owner, signed", async () => {
    const owner = await signup(t.url);
    const media = await uploadPhoto(t.url, owner, { ready: true });
    const url = media.variants.thumb?.url ?? "";
    expect(url).to.contain("sig=");
    expect(await fetchStatus(url)).to.equal(200);
    expect(await fetchStatus(plain(url))).to.equal(404);
  });
});
