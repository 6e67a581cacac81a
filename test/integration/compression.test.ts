import http from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { expect } from "chai";
import { api, signup, startTestNode, type Account, type TestNode } from "../support/test-node";

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A GET with exactly the headers given: fetch would ask for compression itself and hide the answer's bytes. */
function get(url: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      })
      .on("error", reject);
  });
}

describe("compressed answers", function () {
  this.timeout(30_000);
  let t: TestNode;
  let star: Account;
  let listUrl: string;
  before(async () => {
    t = await startTestNode();
    star = await signup(t.url);
    // Twelve followers make a list of about 3 KB.
    for (let i = 0; i < 12; i++) {
      const fan = await signup(t.url);
      await api(t.url, "POST", `/api/users/${star.username}/follow`, { token: fan.token });
    }
    listUrl = `${t.url}/api/users/${star.username}/followers?limit=20`;
  });
  after(async () => {
    await t.stop();
  });

  it("gzips a JSON answer over 1 KB for a client that accepts it, and says so", async () => {
    const plain = await get(listUrl, { authorization: `Bearer ${star.token}` });
    expect(plain.status).to.equal(200);
    expect(plain.headers["content-encoding"]).to.equal(undefined);
    expect(plain.body.length).to.be.above(1024);

    const gzipped = await get(listUrl, { authorization: `Bearer ${star.token}`, "accept-encoding": "gzip" });
    expect(gzipped.headers["content-encoding"]).to.equal("gzip");
    // Whole answers keep their length: no chunked framing for what was sent in one piece.
    expect(gzipped.headers["content-length"]).to.equal(String(gzipped.body.length));
    expect(plain.headers["content-length"]).to.equal(String(plain.body.length));
    expect(gzipped.headers.vary).to.match(/accept-encoding/i);
    expect(gzipped.body.length).to.be.below(plain.body.length / 2);
    expect(JSON.parse(gunzipSync(gzipped.body).toString("utf8"))).to.deep.equal(
      JSON.parse(plain.body.toString("utf8")),
    );
  });

  it("uses brotli when the client accepts it", async () => {
    const br = await get(listUrl, { authorization: `Bearer ${star.token}`, "accept-encoding": "br" });
    expect(br.headers["content-encoding"]).to.equal("br");
    expect(
      (JSON.parse(brotliDecompressSync(br.body).toString("utf8")) as { items: unknown[] }).items,
    ).to.have.length(12);
  });

  it("leaves small answers and the event stream alone", async () => {
    const me = await get(`${t.url}/api/me`, {
      authorization: `Bearer ${star.token}`,
      "accept-encoding": "gzip",
    });
    expect(me.status).to.equal(200);
    expect(me.headers["content-encoding"]).to.equal(undefined);

    const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.get(
        `${t.url}/api/stream`,
        { headers: { authorization: `Bearer ${star.token}`, "accept-encoding": "gzip" } },
        resolve,
      );
      req.on("error", reject);
    });
    expect(stream.headers["content-type"]).to.match(/^text\/event-stream/);
    expect(stream.headers["content-encoding"]).to.equal(undefined);
    stream.destroy();
  });
});
