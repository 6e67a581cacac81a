import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import type { MediaView } from "../../lib/media-library/media-view";
import { cassandraNodeEnv } from "../support/cassandra";
import { s3NodeEnv, S3_ENDPOINT } from "../support/s3";
import { api, signup, startTestNode, type ErrorBody, type TestNode } from "../support/test-node";

const fixture = (name: string) => readFile(path.resolve(__dirname, "../fixtures", name));

async function settled(t: TestNode, token: string, id: string): Promise<MediaView> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await api<MediaView>(t.url, "GET", `/api/media/${id}`, { token });
    if (res.body.status !== "processing") return res.body;
    if (Date.now() > deadline) throw new Error(`media ${id} still processing`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The media pipeline on the real servers: Cassandra for records, S3Proxy (SigV4) for the files. */
describe("media on S3 and Cassandra", function () {
  this.timeout(180_000);
  let t: TestNode;
  let token: string;

  before(async () => {
    t = await startTestNode({ ...cassandraNodeEnv(), ...s3NodeEnv() });
    token = (await signup(t.url)).token;
  });
  after(async () => {
    await t?.stop();
  });

  it("uploads straight to the store with a presigned PUT, then finalizes", async () => {
    const bytes = await fixture("photo-gps.jpg");
    const signed = await api<{
      mediaId: string;
      url: string;
      method: string;
      headers: Record<string, string>;
    }>(t.url, "POST", "/api/uploads/presign", {
      token,
      body: { contentType: "image/jpeg", size: bytes.length },
    });
    expect(signed.status).to.equal(201);
    expect(signed.body.url.startsWith(S3_ENDPOINT)).to.equal(true);
    const put = await fetch(signed.body.url, {
      method: signed.body.method,
      headers: signed.body.headers,
      body: bytes,
    });
    expect(put.status).to.equal(200);

    const done = await api<MediaView>(t.url, "POST", `/api/media/${signed.body.mediaId}/finalize`, { token });
    expect(done.status).to.equal(201);
    expect(done.body.id).to.equal(signed.body.mediaId);
    const media = await settled(t, token, done.body.id);
    expect(media.status).to.equal("ready");
    // Variant URLs point at the store itself (presigned GETs), not at the gateway.
    const large = await fetch(media.variants.large!.url);
    expect(large.status).to.equal(200);
    expect(large.headers.get("content-type")).to.equal("image/jpeg");
    const ranged = await fetch(media.variants.large!.url, { headers: { range: "bytes=0-9" } });
    expect(ranged.status).to.equal(206);
  });

  it("refuses to finalize bytes that lie about their type, and a media never uploaded", async () => {
    const text = await fixture("not-an-image.jpg");
    const signed = await api<{ mediaId: string; url: string; headers: Record<string, string> }>(
      t.url,
      "POST",
      "/api/uploads/presign",
      { token, body: { contentType: "image/jpeg", size: text.length } },
    );
    await fetch(signed.body.url, { method: "PUT", headers: signed.body.headers, body: text });
    const lie = await api<ErrorBody>(t.url, "POST", `/api/media/${signed.body.mediaId}/finalize`, { token });
    expect(lie.status).to.equal(415);

    const empty = await api<{ mediaId: string }>(t.url, "POST", "/api/uploads/presign", {
      token,
      body: { contentType: "image/png", size: 100 },
    });
    const missing = await api<ErrorBody>(t.url, "POST", `/api/media/${empty.body.mediaId}/finalize`, {
      token,
    });
    expect(missing.status).to.equal(400);
    expect(missing.body.error.code).to.equal("UPLOAD_MISSING");
  });

  it("takes a multipart form and a resumable upload into S3 too", async () => {
    const form = new FormData();
    form.append("file", new Blob([await fixture("clip.mp4")], { type: "video/mp4" }), "clip.mp4");
    const res = await fetch(`${t.url}/api/media`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(res.status).to.equal(201);
    const video = await settled(t, token, ((await res.json()) as MediaView).id);
    expect(video.status, video.failure).to.equal("ready");
    expect((await fetch(video.variants.mp4!.url)).status).to.equal(200);

    const bytes = Buffer.concat([await fixture("photo-gps.jpg"), Buffer.alloc(9 * 1024 * 1024, 0x20)]);
    const started = await api<{ id: string; partSize: number; partCount: number }>(
      t.url,
      "POST",
      "/api/uploads",
      {
        token,
        body: {
          filename: "big.jpg",
          size: bytes.length,
          contentType: "image/jpeg",
          sha256: createHash("sha256").update(bytes).digest("hex"),
        },
      },
    );
    const { id, partSize, partCount } = started.body;
    for (let n = partCount - 1; n >= 0; n--) {
      const part = bytes.subarray(n * partSize, Math.min(bytes.length, (n + 1) * partSize));
      expect(
        (await api(t.url, "PUT", `/api/uploads/${id}/parts/${n}`, { token, rawBody: part })).status,
      ).to.equal(200);
    }
    const done = await api<MediaView>(t.url, "POST", `/api/uploads/${id}/complete`, { token });
    expect(done.status).to.equal(201);
    expect((await settled(t, token, done.body.id)).status).to.equal("ready");
  });
});
