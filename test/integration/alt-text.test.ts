import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import type { MediaView, PostView } from "../../lib/contracts/objects";
import type { Page } from "../../lib/validation/page";
import { eventually } from "../support/eventually";
import { uploadPhoto } from "../support/media";
import {
  api,
  signup,
  startTestNode,
  type Account,
  type ErrorBody,
  type TestNode,
} from "../support/test-node";

/** Issue #17: alt text on media, given at upload or later by the owner, shown with the media, searched. */
describe("alt text", function () {
  this.timeout(120_000);
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(() => t.stop());

  const describe_ = (who: Account, mediaId: string, altText: unknown) =>
    api<MediaView & ErrorBody>(t.url, "PATCH", `/api/media/${mediaId}`, {
      token: who.token,
      body: { altText },
    });
  const word = () => `w${Math.random().toString(36).slice(2, 10)}`;
  const searchPosts = async (who: Account, q: string) =>
    (
      await api<Page<PostView>>(t.url, "GET", `/api/search?q=${encodeURIComponent(q)}&type=posts`, {
        token: who.token,
      })
    ).body.items.map((p) => p.id);

  it("is set and removed by the owner alone, bounded, and returned with the media", async () => {
    const [owner, other] = await Promise.all([signup(t.url), signup(t.url)]);
    const media = await uploadPhoto(t.url, owner);
    expect(media.altText).to.equal(null);
    const set = await describe_(owner, media.id, "A red kite over a wheat field");
    expect(set.status, set.text).to.equal(200);
    expect(set.body.altText).to.equal("A red kite over a wheat field");
    const read = await api<MediaView>(t.url, "GET", `/api/media/${media.id}`, { token: owner.token });
    expect(read.body.altText).to.equal("A red kite over a wheat field");

    expect((await describe_(other, media.id, "mine now")).status).to.equal(404);
    const long = await describe_(owner, media.id, "x".repeat(1501));
    expect([long.status, long.body.error.code]).to.deep.equal([400, "VALIDATION_FAILED"]);
    expect((await describe_(owner, media.id, 42)).status).to.equal(400);
    expect((await describe_(owner, media.id, "x".repeat(1500))).status).to.equal(200);
    expect((await describe_(owner, media.id, null)).body.altText).to.equal(null);
    expect((await describe_(owner, media.id, "")).body.altText).to.equal(null);
  });

  it("is given when a resumable upload starts, and set once it completes", async () => {
    const owner = await signup(t.url);
    const bytes = await readFile(path.resolve(__dirname, "../fixtures/image.png"));
    const started = await api<{ id: string }>(t.url, "POST", "/api/uploads", {
      token: owner.token,
      body: { filename: "kite.png", size: bytes.length, contentType: "image/png", altText: "A kite" },
    });
    expect(started.status, started.text).to.equal(201);
    const put = await api(t.url, "PUT", `/api/uploads/${started.body.id}/parts/0`, {
      token: owner.token,
      rawBody: bytes,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(put.status, put.text).to.equal(200);
    const done = await api<MediaView>(t.url, "POST", `/api/uploads/${started.body.id}/complete`, {
      token: owner.token,
    });
    expect(done.status, done.text).to.equal(201);
    expect(done.body.altText).to.equal("A kite");
  });

  it("is given as a form field of a multipart upload, before the file or after it; too long is refused", async () => {
    const owner = await signup(t.url);
    const bytes = await readFile(path.resolve(__dirname, "../fixtures/image.png"));
    const upload = async (parts: [string, string | Blob][]) => {
      const form = new FormData();
      for (const [name, value] of parts) {
        if (typeof value === "string") form.append(name, value);
        else form.append(name, value, "kite.png");
      }
      const res = await fetch(`${t.url}/api/media`, {
        method: "POST",
        headers: { authorization: `Bearer ${owner.token}` },
        body: form,
      });
      return { status: res.status, body: (await res.json()) as MediaView & ErrorBody };
    };
    // Bytes of their own each time, so that deduplication does not make two uploads one.
    const photo = () => new Blob([bytes, Buffer.from(Math.random().toString())], { type: "image/png" });
    const before = await upload([
      ["altText", "A kite, named first"],
      ["file", photo()],
    ]);
    expect(before.status).to.equal(201);
    expect(before.body.altText).to.equal("A kite, named first");
    const afterFile = await upload([
      ["file", photo()],
      ["altText", "A kite, named after"],
    ]);
    expect(afterFile.status).to.equal(201);
    expect(afterFile.body.altText).to.equal("A kite, named after");
    const read = await api<MediaView>(t.url, "GET", `/api/media/${afterFile.body.id}`, {
      token: owner.token,
    });
    expect(read.body.altText).to.equal("A kite, named after");
    const long = await upload([
      ["altText", "x".repeat(1501)],
      ["file", photo()],
    ]);
    expect([long.status, long.body.error.code]).to.deep.equal([400, "VALIDATION_FAILED"]);
    const stray = await upload([
      ["file", photo()],
      ["caption", "not a field of media"],
    ]);
    expect([stray.status, stray.body.error.code]).to.deep.equal([400, "VALIDATION_FAILED"]);
  });

  it("shows in the post to its readers, changes after posting, and finds the post by its words", async () => {
    const [author, reader] = await Promise.all([signup(t.url), signup(t.url)]);
    await api(t.url, "POST", `/api/users/${author.username}/follow`, { token: reader.token });
    const first = word();
    const media = await uploadPhoto(t.url, author, { ready: true });
    await describe_(author, media.id, `A lighthouse ${first} at dusk`);
    const posted = await api<PostView>(t.url, "POST", "/api/posts", {
      token: author.token,
      body: { caption: "evening", mediaIds: [media.id] },
    });
    expect(posted.status, posted.text).to.equal(201);
    const post = posted.body;
    expect(post.media[0]?.altText).to.equal(`A lighthouse ${first} at dusk`);
    await eventually(
      async () => (await searchPosts(reader, first)).includes(post.id),
      "found by its alt text",
    );

    const feedAlt = async () =>
      (await api<Page<PostView>>(t.url, "GET", "/api/feed", { token: reader.token })).body.items.find(
        (p) => p.id === post.id,
      )?.media[0]?.altText;
    await eventually(async () => (await feedAlt()) === `A lighthouse ${first} at dusk`, "in the feed");

    const second = word();
    expect((await describe_(author, media.id, `A lighthouse ${second}`)).status).to.equal(200);
    const seen = await api<PostView>(t.url, "GET", `/api/posts/${post.id}`, { token: reader.token });
    expect(seen.body.media[0]?.altText).to.equal(`A lighthouse ${second}`);
    expect(await feedAlt()).to.equal(`A lighthouse ${second}`);
    await eventually(
      async () => (await searchPosts(reader, second)).includes(post.id),
      "found by the new words",
    );
    await eventually(
      async () => !(await searchPosts(reader, first)).includes(post.id),
      "not by the old ones",
    );
  });
});
