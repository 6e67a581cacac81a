import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import sharp from "sharp";
import type { MediaView } from "../../lib/media-library/media-view";
import { createTranscoderService } from "../../services/transcoder.service";
import { RawConnection, requestHead } from "../support/raw-http";
import { api, signup, startTestNode, type ErrorBody, type TestNode } from "../support/test-node";

const FIXTURES = path.resolve(__dirname, "../fixtures");
const fixture = (name: string) => readFile(path.join(FIXTURES, name));

/** POST /api/media as a browser would: a multipart form with the file in `file`. */
async function uploadForm(
  base: string,
  token: string,
  bytes: Buffer,
  options: { filename?: string; type?: string; field?: string } = {},
) {
  const form = new FormData();
  form.append(
    options.field ?? "file",
    new Blob([bytes], { type: options.type ?? "application/octet-stream" }),
    options.filename ?? "upload.bin",
  );
  const res = await fetch(`${base}/api/media`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as MediaView & ErrorBody, headers: res.headers };
}

async function waitUntilSettled(
  base: string,
  token: string,
  id: string,
  timeoutMs = 60_000,
): Promise<MediaView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api<MediaView>(base, "GET", `/api/media/${id}`, { token });
    expect(res.status).to.equal(200);
    if (res.body.status !== "processing") return res.body;
    if (Date.now() > deadline) throw new Error(`media ${id} still processing`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The top-level atoms of an MP4, in file order. */
function atoms(bytes: Buffer): string[] {
  const names: string[] = [];
  for (let at = 0; at + 8 <= bytes.length;) {
    let size = bytes.readUInt32BE(at);
    if (size === 1) size = Number(bytes.readBigUInt64BE(at + 8));
    names.push(bytes.toString("latin1", at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return names;
}

describe("media through the gateway (embedded blobs, in-process transcoder)", function () {
  this.timeout(120_000);
  let t: TestNode;
  let token: string;

  before(async () => {
    t = await startTestNode();
    token = (await signup(t.url)).token;
  });
  after(async () => {
    await t.stop();
  });

  it("turns a photo into stripped, oriented, bounded variants served with ranges", async () => {
    const photo = await fixture("photo-gps.jpg");
    const created = await uploadForm(t.url, token, photo, { filename: "photo.jpg", type: "image/jpeg" });
    expect(created.status).to.equal(201);
    expect(created.body.type).to.equal("image");
    expect(created.body.status).to.be.oneOf(["processing", "ready"]);
    expect(created.headers.get("location")).to.equal(`/api/media/${created.body.id}`);

    const media = await waitUntilSettled(t.url, token, created.body.id);
    expect(media.status).to.equal("ready");
    expect(media.blurhash).to.be.a("string").with.length.greaterThan(5);
    const source = await sharp(photo).metadata();
    const upright = (source.orientation ?? 1) >= 5;
    expect(media.width).to.equal(upright ? source.height : source.width);
    expect(media.height).to.equal(upright ? source.width : source.height);

    for (const [name, bound] of [
      ["thumb", 320],
      ["small", 640],
      ["large", 1080],
    ] as const) {
      const variant = media.variants[name];
      expect(variant, name).to.not.equal(undefined);
      expect(Math.max(variant!.width, variant!.height)).to.be.at.most(bound);
      const res = await fetch(variant!.url);
      expect(res.status).to.equal(200);
      // Not in a post yet: its owner's alone, so only at a signed URL, cached privately until it expires.
      expect(res.headers.get("cache-control")).to.match(/^private, max-age=\d+$/);
      const bytes = Buffer.from(await res.arrayBuffer());
      const meta = await sharp(bytes).metadata();
      expect([meta.width, meta.height]).to.deep.equal([variant!.width, variant!.height]);
      expect(meta.exif, `${name} keeps no EXIF`).to.equal(undefined);
      expect(bytes.includes(Buffer.from("Exif\0\0")), `${name} has no Exif block`).to.equal(false);
    }

    const large = media.variants.large!;
    const ranged = await fetch(large.url, { headers: { range: "bytes=0-99" } });
    expect(ranged.status).to.equal(206);
    expect(ranged.headers.get("content-range")).to.match(/^bytes 0-99\/\d+$/);
    expect((await ranged.arrayBuffer()).byteLength).to.equal(100);
    const etag = ranged.headers.get("etag") ?? "";
    expect((await fetch(large.url, { headers: { "if-none-match": etag } })).status).to.equal(304);
  });

  it("turns a video into a faststart H.264 MP4 and a JPEG poster", async () => {
    const created = await uploadForm(t.url, token, await fixture("clip.mp4"), { type: "video/mp4" });
    expect(created.status).to.equal(201);
    expect(created.body.type).to.equal("video");
    const media = await waitUntilSettled(t.url, token, created.body.id);
    expect(media.status, media.failure).to.equal("ready");
    expect(media.durationMs).to.be.within(2_800, 3_300);
    const mp4 = Buffer.from(await (await fetch(media.variants.mp4!.url)).arrayBuffer());
    const order = atoms(mp4);
    expect(order[0]).to.equal("ftyp");
    expect(order.indexOf("moov")).to.be.greaterThan(-1);
    expect(order.indexOf("moov"), "moov before mdat").to.be.lessThan(order.indexOf("mdat"));
    const poster = Buffer.from(await (await fetch(media.variants.poster!.url)).arrayBuffer());
    expect(poster.subarray(0, 3).toString("hex")).to.equal("ffd8ff");
    expect(Math.max(media.width ?? 0, media.height ?? 0)).to.be.at.most(720);
  });

  it("refuses bytes that are not what they claim with 415, and a corrupt image fails cleanly", async () => {
    const text = await uploadForm(t.url, token, await fixture("not-an-image.jpg"), { type: "image/jpeg" });
    expect(text.status).to.equal(415);
    expect(text.body.error.code).to.equal("UNSUPPORTED_MEDIA_TYPE");
    const png = await uploadForm(t.url, token, await fixture("image.png"), { type: "image/jpeg" });
    expect(png.status).to.equal(415);

    const truncated = await uploadForm(t.url, token, await fixture("truncated.jpg"), { type: "image/jpeg" });
    expect(truncated.status).to.equal(201);
    const settled = await waitUntilSettled(t.url, token, truncated.body.id);
    expect(settled.status).to.equal("failed");
    expect(settled.variants).to.deep.equal({});
  });

  it("answers 400 for a missing file field and 415 for a body that is not a form", async () => {
    const wrongField = await uploadForm(t.url, token, await fixture("photo-gps.jpg"), { field: "photo" });
    expect(wrongField.status).to.equal(400);
    const notForm = await api<ErrorBody>(t.url, "POST", "/api/media", {
      token,
      rawBody: await fixture("photo-gps.jpg"),
      headers: { "content-type": "image/jpeg" },
    });
    expect(notForm.status).to.equal(415);
    expect(
      (await api(t.url, "POST", "/api/media", { rawBody: "x", headers: { "content-type": "text/plain" } }))
        .status,
    ).to.equal(401);
  });

  it("hides a user's media from others (404)", async () => {
    const created = await uploadForm(t.url, token, await fixture("image.png"), { type: "image/png" });
    const other = await signup(t.url);
    expect(
      (await api(t.url, "GET", `/api/media/${created.body.id}`, { token: other.token })).status,
    ).to.equal(404);
    expect((await api(t.url, "GET", `/api/media/${created.body.id}`, { token })).status).to.equal(200);
  });

  it("uploads in parts, in any order, re-sending one, and checks the sha256", async () => {
    // A real photo followed by padding past one 8 MiB part: decoders stop at the JPEG's end marker.
    const bytes = Buffer.concat([await fixture("photo-gps.jpg"), Buffer.alloc(9 * 1024 * 1024, 0x20)]);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const started = await api<{ id: string; partSize: number; partCount: number }>(
      t.url,
      "POST",
      "/api/uploads",
      {
        token,
        body: { filename: "big.jpg", size: bytes.length, contentType: "image/jpeg", sha256 },
      },
    );
    expect(started.status).to.equal(201);
    const { id, partSize, partCount } = started.body;
    expect(partCount).to.equal(Math.ceil(bytes.length / partSize));
    expect(partCount).to.be.greaterThan(1);
    const part = (n: number) => bytes.subarray(n * partSize, Math.min(bytes.length, (n + 1) * partSize));
    const put = (n: number, body: Buffer) =>
      api<{ n: number; size: number }>(t.url, "PUT", `/api/uploads/${id}/parts/${n}`, {
        token,
        rawBody: body,
        headers: { "content-type": "application/octet-stream" },
      });

    const last = partCount - 1;
    expect((await put(last, part(last))).body).to.deep.equal({ n: last, size: part(last).length });
    const early = await api<ErrorBody>(t.url, "POST", `/api/uploads/${id}/complete`, { token });
    expect(early.status).to.equal(400);
    expect(early.body.error.code).to.equal("PARTS_MISSING");
    expect((await put(0, Buffer.alloc(10))).status, "a part of the wrong size").to.equal(400);
    for (let n = last - 1; n >= 0; n--) expect((await put(n, part(n))).status).to.equal(200);
    expect((await put(0, part(0))).status, "a part sent again").to.equal(200);
    const status = await api<{ receivedParts: number[]; complete: boolean }>(
      t.url,
      "GET",
      `/api/uploads/${id}`,
      { token },
    );
    expect(status.body).to.deep.include({ complete: false });
    expect(status.body.receivedParts).to.deep.equal(Array.from({ length: partCount }, (_, i) => i));

    const done = await api<MediaView>(t.url, "POST", `/api/uploads/${id}/complete`, { token });
    expect(done.status).to.equal(201);
    expect(
      (await api<{ complete: boolean }>(t.url, "GET", `/api/uploads/${id}`, { token })).body.complete,
    ).to.equal(true);
    const media = await waitUntilSettled(t.url, token, done.body.id);
    expect(media.status).to.equal("ready");

    const other = await signup(t.url);
    expect((await api(t.url, "GET", `/api/uploads/${id}`, { token: other.token })).status).to.equal(404);
  });

  it("refuses a completed upload whose bytes do not match the declared sha256", async () => {
    const bytes = await fixture("image.png");
    const started = await api<{ id: string }>(t.url, "POST", "/api/uploads", {
      token,
      body: { filename: "a.png", size: bytes.length, contentType: "image/png", sha256: "0".repeat(64) },
    });
    await api(t.url, "PUT", `/api/uploads/${started.body.id}/parts/0`, { token, rawBody: bytes });
    const done = await api<ErrorBody>(t.url, "POST", `/api/uploads/${started.body.id}/complete`, { token });
    expect(done.status).to.equal(400);
    expect(done.body.error.code).to.equal("SHA256_MISMATCH");
  });

  it("refuses a declared size over the limit at once (413) and an unknown type (415)", async () => {
    const big = await api<ErrorBody>(t.url, "POST", "/api/uploads", {
      token,
      body: { filename: "huge.jpg", size: 21 * 1024 * 1024, contentType: "image/jpeg" },
    });
    expect(big.status).to.equal(413);
    const video = await api(t.url, "POST", "/api/uploads", {
      token,
      body: { filename: "huge.mp4", size: 201 * 1024 * 1024, contentType: "video/mp4" },
    });
    expect(video.status).to.equal(413);
    const odd = await api(t.url, "POST", "/api/uploads", {
      token,
      body: { filename: "a.pdf", size: 10, contentType: "application/pdf" },
    });
    expect(odd.status).to.equal(415);
    const presign = await api<ErrorBody>(t.url, "POST", "/api/uploads/presign", {
      token,
      body: { contentType: "image/jpeg", size: 1000 },
    });
    expect(presign.status).to.equal(400);
    expect(presign.body.error.code).to.equal("PRESIGN_UNAVAILABLE");
  });

  it("stores identical bytes once and answers the second upload ready at once", async () => {
    const bytes = await fixture("image.png");
    const first = await uploadForm(t.url, token, bytes, { type: "image/png" });
    const ready = await waitUntilSettled(t.url, token, first.body.id);
    const second = await uploadForm(t.url, token, bytes, { type: "image/png" });
    expect(second.status).to.equal(201);
    expect(second.body.id).to.not.equal(first.body.id);
    expect(second.body.status).to.equal("ready");
    // Files of its own (copied, not transcoded again), so deleting one media never takes the other's.
    const [copy, source] = [second.body.variants.small?.url ?? "", ready.variants.small?.url ?? ""];
    expect(new URL(copy).pathname).to.contain(`/${second.body.id}/`);
    const bytesOf = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());
    expect((await bytesOf(copy)).equals(await bytesOf(source))).to.equal(true);
  });

  it("takes an image of the caller as avatar, and nothing else", async () => {
    const me = await signup(t.url);
    const created = await uploadForm(t.url, me.token, await fixture("photo-gps.jpg"), { type: "image/jpeg" });
    const media = await waitUntilSettled(t.url, me.token, created.body.id);
    const patched = await api<{ avatarUrl: string | null }>(t.url, "PATCH", "/api/me", {
      token: me.token,
      body: { avatarMediaId: media.id },
    });
    expect(patched.status).to.equal(200);
    // An avatar of a public account is public: the plain URL of the same file.
    const small = (media.variants.small?.url ?? "").split("?")[0];
    expect(patched.body.avatarUrl).to.equal(small);
    const seen = await api<{ avatarUrl: string | null }>(t.url, "GET", `/api/users/${me.username}`, {
      token,
    });
    expect(seen.body.avatarUrl).to.equal(small);

    const video = await uploadForm(t.url, me.token, await fixture("clip.mp4"), { type: "video/mp4" });
    const notImage = await api<ErrorBody>(t.url, "PATCH", "/api/me", {
      token: me.token,
      body: { avatarMediaId: video.body.id },
    });
    expect(notImage.status).to.equal(400);
    const foreign = await api<ErrorBody>(t.url, "PATCH", "/api/me", {
      token,
      body: { avatarMediaId: media.id },
    });
    expect(foreign.status).to.equal(400);
    expect(foreign.body.error.code).to.equal("MEDIA_NOT_FOUND");
  });
});

describe("fresh media in stories and direct messages", function () {
  this.timeout(120_000);
  let t: TestNode;

  interface Story {
    id: string;
    media: MediaView;
  }
  interface Message {
    id: string;
    media?: MediaView;
  }
  type Account = Awaited<ReturnType<typeof signup>>;

  before(async () => {
    // A node without the transcoder: uploads stay processing until a test starts one, so what the first reads
    // show is certain rather than a race with a quick transcode.
    t = await startTestNode({
      SERVICES: "gateway,users,graph,posts,timeline,media,interactions,stories,inbox,search,discovery",
    });
  });
  after(async () => {
    await t.stop();
  });

  /** Starts a transcoder, sends it the jobs waiting, lets it settle `mediaIds`, and stops it again. */
  async function transcodeNow(owner: Account, mediaIds: readonly string[]): Promise<MediaView[]> {
    const { app, broker } = t.node;
    if (app.blobs === undefined || app.media === undefined) throw new Error("the node has no media");
    const transcoder = broker.createService(
      createTranscoderService({
        blobs: app.blobs,
        concurrency: 2,
        options: {
          ffmpegPath: app.config.media.ffmpegPath,
          ffprobePath: app.config.media.ffprobePath,
          timeoutMs: app.config.media.transcodeTimeoutMs,
        },
      }),
    );
    try {
      await broker.waitForServices("transcoder");
      const { library } = app.media;
      for (const job of await library.staleJobs(0)) await library.resend(job);
      return await Promise.all(mediaIds.map((id) => waitUntilSettled(t.url, owner.token, id)));
    } finally {
      await broker.destroyService(transcoder);
    }
  }

  /** A story and a message (in `conversationId`) made of `mediaId` the moment it was uploaded. */
  async function useAtOnce(owner: Account, conversationId: string, mediaId: string) {
    const story = await api<Story & ErrorBody>(t.url, "POST", "/api/stories", {
      token: owner.token,
      body: { mediaId },
    });
    expect(story.status, story.text).to.equal(201);
    const message = await api<Message & ErrorBody>(
      t.url,
      "POST",
      `/api/conversations/${conversationId}/messages`,
      { token: owner.token, body: { mediaId } },
    );
    expect(message.status, message.text).to.equal(201);
    return { story: story.body, message: message.body };
  }

  /** The media of the story and of the message as `viewer` reads them back now. */
  async function readBack(viewer: Account, owner: Account, conversationId: string) {
    const stories = await api<{ items: Story[] }>(t.url, "GET", `/api/users/${owner.username}/stories`, {
      token: viewer.token,
    });
    expect(stories.status, stories.text).to.equal(200);
    const messages = await api<{ items: Message[] }>(
      t.url,
      "GET",
      `/api/conversations/${conversationId}/messages`,
      { token: viewer.token },
    );
    expect(messages.status, messages.text).to.equal(200);
    return { story: stories.body.items[0]?.media, message: messages.body.items[0]?.media };
  }

  async function pair(): Promise<{ ada: Account; bob: Account; conversationId: string }> {
    const [ada, bob] = [await signup(t.url), await signup(t.url)];
    const opened = await api<{ id: string }>(t.url, "POST", "/api/conversations", {
      token: ada.token,
      body: { usernames: [bob.username] },
    });
    expect(opened.status, opened.text).to.equal(201);
    return { ada, bob, conversationId: opened.body.id };
  }

  it("takes a photo uploaded a moment ago in a story and a message: processing first, then its variants", async () => {
    const { ada, bob, conversationId } = await pair();
    const photo = Buffer.concat([await fixture("image.png"), Buffer.from(Math.random().toString())]);
    const uploaded = await uploadForm(t.url, ada.token, photo, { type: "image/png" });
    expect([uploaded.status, uploaded.body.status]).to.deep.equal([201, "processing"]);

    const made = await useAtOnce(ada, conversationId, uploaded.body.id);
    for (const media of [made.story.media, made.message.media]) {
      expect(media).to.deep.include({ id: uploaded.body.id, status: "processing", variants: {} });
    }
    for (const viewer of [bob, ada]) {
      const before = await readBack(viewer, ada, conversationId);
      expect(before.story).to.deep.include({ id: uploaded.body.id, status: "processing", variants: {} });
      expect(before.message).to.deep.include({ id: uploaded.body.id, status: "processing", variants: {} });
    }

    const [settled] = await transcodeNow(ada, [uploaded.body.id]);
    expect(settled!.status).to.equal("ready");
    for (const viewer of [bob, ada]) {
      const after = await readBack(viewer, ada, conversationId);
      for (const media of [after.story, after.message]) {
        expect(media?.status).to.equal("ready");
        expect(media?.variants).to.have.all.keys("thumb", "small", "large");
        expect(media?.variants).to.deep.equal(settled!.variants);
      }
    }
    const small = await fetch(settled!.variants.small!.url);
    expect(small.status).to.equal(200);
    expect(small.headers.get("content-type")).to.match(/^image\//);
  });

  it("shows a fresh upload that fails decoding as failed in the story and the message, and refuses it then", async () => {
    const { ada, bob, conversationId } = await pair();
    const uploaded = await uploadForm(t.url, ada.token, await fixture("truncated.jpg"), {
      type: "image/jpeg",
    });
    expect([uploaded.status, uploaded.body.status]).to.deep.equal([201, "processing"]);
    await useAtOnce(ada, conversationId, uploaded.body.id);
    // A second fresh upload, kept back to try once the first has failed.
    const spare = await uploadForm(
      t.url,
      ada.token,
      Buffer.concat([await fixture("truncated.jpg"), Buffer.from(Math.random().toString())]),
      { type: "image/jpeg" },
    );

    const settled = await transcodeNow(ada, [uploaded.body.id, spare.body.id]);
    expect(settled.map((m) => m.status)).to.deep.equal(["failed", "failed"]);
    for (const viewer of [bob, ada]) {
      const after = await readBack(viewer, ada, conversationId);
      expect(after.story).to.deep.include({ id: uploaded.body.id, status: "failed", variants: {} });
      expect(after.message).to.deep.include({ id: uploaded.body.id, status: "failed", variants: {} });
    }
    const refused = await Promise.all([
      api<ErrorBody>(t.url, "POST", "/api/stories", { token: ada.token, body: { mediaId: spare.body.id } }),
      api<ErrorBody>(t.url, "POST", `/api/conversations/${conversationId}/messages`, {
        token: ada.token,
        body: { mediaId: spare.body.id },
      }),
      api<ErrorBody>(t.url, "POST", "/api/posts", { token: ada.token, body: { mediaIds: [spare.body.id] } }),
    ]);
    expect(refused.map((r) => [r.status, r.body.error.code])).to.deep.equal([
      [400, "MEDIA_NOT_USABLE"],
      [400, "MEDIA_NOT_USABLE"],
      [400, "MEDIA_NOT_USABLE"],
    ]);
  });
});

describe("uploads at once", function () {
  const BOUNDARY = "mosaic-test-boundary";
  this.timeout(60_000);
  let t: TestNode;

  before(async () => {
    t = await startTestNode({ RATE_LIMITS: "off" });
  });
  after(async () => {
    await t.stop();
  });

  /** A multipart upload of the photo, with bytes of its own so that no two uploads are one original. */
  function uploadBody(photo: Buffer): Buffer {
    return Buffer.concat([
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n` +
          "Content-Type: image/png\r\n\r\n",
      ),
      photo,
      Buffer.from(Math.random().toString()),
      Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
    ]);
  }

  it("takes a photo while 70 slow uploads are still sending, past the broker's bulkhead of 64", async () => {
    const photo = await readFile(path.resolve(__dirname, "../fixtures/image.png"));
    const user = await signup(t.url);
    const start = async (bytes: Buffer): Promise<RawConnection> => {
      const conn = new RawConnection(t.url);
      await conn.write(
        requestHead("POST", "/api/media", {
          authorization: `Bearer ${user.token}`,
          "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
          "content-length": bytes.length,
        }),
      );
      return conn;
    };
    // Each slow upload sends half its body and holds the rest.
    const slow = await Promise.all(
      Array.from({ length: 70 }, async () => {
        const body = uploadBody(photo);
        const conn = await start(body);
        const half = Math.floor(body.length / 2);
        await conn.write(body.subarray(0, half));
        return { conn, rest: body.subarray(half) };
      }),
    );
    let slowDone = 0;
    const answers = slow.map(({ conn }) => conn.response(30_000).finally(() => slowDone++));
    const body = uploadBody(photo);
    const quick = await start(body);
    await quick.write(body);
    expect((await quick.response(10_000)).status).to.equal(201);
    expect(slowDone, "slow uploads answered before the quick one").to.equal(0);
    for (const { conn, rest } of slow) await conn.write(rest);
    expect((await Promise.all(answers)).map((r) => r.status)).to.deep.equal(new Array<number>(70).fill(201));
    for (const { conn } of slow) conn.destroy();
    quick.destroy();
  });
});
