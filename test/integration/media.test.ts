import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import sharp from "sharp";
import type { MediaView } from "../../lib/media-library/media-view";
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
      expect(res.headers.get("cache-control")).to.contain("immutable");
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
    expect(second.body.variants.small?.url).to.equal(ready.variants.small?.url);
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
    expect(patched.body.avatarUrl).to.equal(media.variants.small?.url);
    const seen = await api<{ avatarUrl: string | null }>(t.url, "GET", `/api/users/${me.username}`, {
      token,
    });
    expect(seen.body.avatarUrl).to.equal(media.variants.small?.url);

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
