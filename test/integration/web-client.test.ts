import { expect } from "chai";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { request } from "node:http";
import { brotliDecompressSync } from "node:zlib";
import { startTestNode, type TestNode } from "../support/test-node";

/** A raw GET, so the test sees the encoding and the exact headers (fetch decodes bodies by itself). */
function get(
  url: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the web client at /", () => {
  let dir: string;
  let t: TestNode;
  const index = `<!doctype html><title>Mosaic</title>${"<!-- padding -->".repeat(100)}`;
  const script = `console.log("mosaic");${" ".repeat(2000)}`;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "mosaic-web-"));
    await mkdir(path.join(dir, "assets"));
    await writeFile(path.join(dir, "index.html"), index);
    await writeFile(path.join(dir, "assets", "index-AbC123.js"), script);
    await writeFile(path.join(dir, "robots.txt"), "User-agent: *\n");
    t = await startTestNode({ WEB_DIR: dir });
  });
  after(async () => {
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves index.html at / and at any client route, revalidated on every load", async () => {
    for (const route of ["/", "/u/ada", "/p/123?from=feed", "/messages/9", "/explore"]) {
      const res = await get(t.url + route);
      expect(res.status, route).to.equal(200);
      expect(res.headers["content-type"], route).to.equal("text/html; charset=utf-8");
      expect(res.body.toString(), route).to.equal(index);
      expect(res.headers["cache-control"], route).to.equal("no-cache");
      // The page runs under the strict policy every answer carries.
      expect(res.headers["content-security-policy"], route).to.include("default-src 'self'");
    }
  });

  it("caches hashed assets for good and other files not at all", async () => {
    const asset = await get(`${t.url}/assets/index-AbC123.js`);
    expect(asset.status).to.equal(200);
    expect(asset.headers["content-type"]).to.equal("text/javascript; charset=utf-8");
    expect(asset.headers["cache-control"]).to.equal("public, max-age=31536000, immutable");
    expect(asset.body.toString()).to.equal(script);
    const robots = await get(`${t.url}/robots.txt`);
    expect(robots.body.toString()).to.equal("User-agent: *\n");
    expect(robots.headers["cache-control"]).to.equal("no-cache");
  });

  it("answers 404, not the page, for a hashed asset that is not there (a stale tab asking for the last build)", async () => {
    const res = await get(`${t.url}/assets/index-Old999.js`);
    expect(res.status).to.equal(404);
    expect(JSON.parse(res.body.toString())).to.deep.include({
      error: { code: "NOT_FOUND", message: "no such file" },
    });
  });

  it("answers 304 to a client that has the file, and compresses for those who accept it", async () => {
    const first = await get(`${t.url}/assets/index-AbC123.js`);
    const etag = String(first.headers.etag);
    expect(etag).to.match(/^"[A-Za-z0-9_-]+"$/);
    const again = await get(`${t.url}/assets/index-AbC123.js`, { "if-none-match": etag });
    expect(again.status).to.equal(304);
    expect(again.body.length).to.equal(0);
    const br = await get(`${t.url}/assets/index-AbC123.js`, { "accept-encoding": "gzip, br" });
    expect(br.headers["content-encoding"]).to.equal("br");
    expect(br.headers.vary).to.equal("Accept-Encoding");
    expect(brotliDecompressSync(br.body).toString()).to.equal(script);
    const head = await get(`${t.url}/u/ada`, {}, "HEAD");
    expect(head.status).to.equal(200);
    expect(head.body.length).to.equal(0);
  });

  it("never shadows the API, media files, probes or metrics", async () => {
    for (const route of ["/api", "/api/no-such-route", "/api/users/nobody-here", "/media/1/2/thumb.jpg"]) {
      const res = await get(t.url + route);
      expect(res.status, route).to.be.oneOf([401, 404]);
      expect(res.headers["content-type"], route).to.equal("application/json; charset=utf-8");
      expect(JSON.parse(res.body.toString()), route).to.have.property("error");
    }
    expect((await get(`${t.url}/health/live`)).body.toString()).to.include("live");
    expect((await get(`${t.url}/metrics`)).headers["content-type"]).to.include("text/plain");
  });

  it("is not the answer to other methods", async () => {
    const res = await get(`${t.url}/u/ada`, {}, "POST");
    expect(res.status).to.equal(404);
    expect(res.headers["content-type"]).to.equal("application/json; charset=utf-8");
  });
});

describe("the web client when it is not built", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode({ WEB_DIR: path.join(os.tmpdir(), "mosaic-no-such-web-dir") });
  });
  after(async () => {
    await t.stop();
  });

  it("says how to build it, with the envelope", async () => {
    const res = await get(`${t.url}/`);
    expect(res.status).to.equal(404);
    const body = JSON.parse(res.body.toString()) as { error: { message: string } };
    expect(body.error.message).to.include("npm run build:web");
  });
});
