import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { expect } from "chai";
import { MAX_UPLOAD_BYTES } from "../../lib/media-library/limits";
import { RawConnection, requestHead, type RawResponse } from "../support/raw-http";
import {
  api,
  signup,
  startTestNode,
  type Account,
  type ErrorBody,
  type TestNode,
} from "../support/test-node";

const IDLE_MS = 300;
const PNG_SIGNATURE = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");

/** Every file under `folder`, as paths relative to it. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)));
}

function envelopeOf(res: RawResponse): ErrorBody {
  return JSON.parse(res.body) as ErrorBody;
}

/** Starts a resumable upload of a 9 MB PNG and sends its whole first part at once; answers the part's reply. */
async function sendFirstPart(url: string, token: string, fill: number) {
  const started = await api<{ id: string; partSize: number }>(url, "POST", "/api/uploads", {
    token,
    body: { filename: "big.png", size: 9 * 1024 * 1024, contentType: "image/png" },
  });
  const part = Buffer.concat([
    PNG_SIGNATURE,
    Buffer.alloc(started.body.partSize - PNG_SIGNATURE.length, fill),
  ]);
  const res = await api<{ n: number; size: number }>(url, "PUT", `/api/uploads/${started.body.id}/parts/0`, {
    token,
    rawBody: part,
    headers: { "content-type": "application/octet-stream" },
  });
  return { res, size: part.length };
}

describe("request bodies at the edge", function () {
  this.timeout(30_000);
  let t: TestNode;
  let a: Account;
  let blobs: string;
  before(async () => {
    t = await startTestNode({ BODY_IDLE_TIMEOUT_MS: String(IDLE_MS) });
    a = await signup(t.url);
    blobs = path.join(t.dataDir, "blobs");
  });
  after(async () => {
    await t.stop();
  });

  it("cuts a JSON body that stalls with 408 and the envelope, and closes the connection", async () => {
    const conn = new RawConnection(t.url);
    const body = JSON.stringify({ login: "someone", password: "correct horse battery" });
    await conn.write(
      requestHead("POST", "/api/auth/login", {
        "content-type": "application/json",
        "content-length": body.length,
      }),
    );
    await conn.write(body.slice(0, 10));
    const started = Date.now();
    const res = await conn.response();
    expect(res.status).to.equal(408);
    expect(envelopeOf(res).error.code).to.equal("REQUEST_TIMEOUT");
    expect(res.headers.connection).to.equal("close");
    expect(Date.now() - started).to.be.below(IDLE_MS * 10);
    expect(await conn.closesWithin(2000)).to.equal(true);
  });

  it("cuts a multipart upload that stops mid-file with 408, leaving no temporary file or blob", async () => {
    const conn = new RawConnection(t.url);
    const boundary = "mosaic-test-boundary";
    const part = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n` +
          "Content-Type: image/png\r\n\r\n",
      ),
      PNG_SIGNATURE,
      Buffer.alloc(64 * 1024, 1),
    ]);
    await conn.write(
      requestHead("POST", "/api/media", {
        authorization: `Bearer ${a.token}`,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": part.length + 1024 * 1024,
      }),
    );
    await conn.write(part);
    const res = await conn.response();
    expect(res.status).to.equal(408);
    expect(envelopeOf(res).error.code).to.equal("REQUEST_TIMEOUT");
    await conn.closed;
    await eventually(async () => {
      expect(await filesUnder(blobs)).to.deep.equal([]);
    });
  });

  it("answers a file over the largest upload with 413 while it is still arriving, closes, and keeps nothing of it", async () => {
    const conn = new RawConnection(t.url);
    const boundary = "mosaic-test-boundary";
    const head = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n` +
          "Content-Type: video/mp4\r\n\r\n",
      ),
      await readFile(path.resolve(__dirname, "../fixtures/clip.mp4")),
    ]);
    const padding = MAX_UPLOAD_BYTES + 8 * 1024 * 1024;
    await conn.write(
      requestHead("POST", "/api/media", {
        authorization: `Bearer ${a.token}`,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": head.length + padding,
      }),
    );
    await conn.write(head);
    let answered = false;
    const response = conn.response(60_000).finally(() => (answered = true));
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    // The client goes on sending, as a browser does, until the answer comes or the connection goes.
    for (let sent = 0; sent < padding && !answered; sent += chunk.length) {
      if (
        !(await conn.write(chunk).then(
          () => true,
          () => false,
        ))
      )
        break;
    }
    const res = await response;
    expect(res.status).to.equal(413);
    expect(envelopeOf(res).error.code).to.equal("PAYLOAD_TOO_LARGE");
    expect(res.headers.connection).to.equal("close");
    expect(await conn.closesWithin(2000)).to.equal(true);
    await eventually(async () => {
      expect(await filesUnder(blobs)).to.deep.equal([]);
    });
  });

  it("cuts a resumable part that stalls with 408, keeping nothing of it", async () => {
    const started = await api<{ id: string; partSize: number }>(t.url, "POST", "/api/uploads", {
      token: a.token,
      body: { filename: "big.png", size: 9 * 1024 * 1024, contentType: "image/png" },
    });
    expect(started.status).to.equal(201);
    const conn = new RawConnection(t.url);
    await conn.write(
      requestHead("PUT", `/api/uploads/${started.body.id}/parts/0`, {
        authorization: `Bearer ${a.token}`,
        "content-type": "application/octet-stream",
        "content-length": started.body.partSize,
      }),
    );
    await conn.write(Buffer.concat([PNG_SIGNATURE, Buffer.alloc(200 * 1024, 2)]));
    const res = await conn.response();
    expect(res.status).to.equal(408);
    expect(envelopeOf(res).error.code).to.equal("REQUEST_TIMEOUT");
    await conn.closed;
    // The multipart upload's own record stays (the session may go on); no part and no temporary file.
    await eventually(async () => {
      expect((await filesUnder(blobs)).filter((file) => !file.endsWith("upload.json"))).to.deep.equal([]);
    });
    const status = await api<{ receivedParts: number[] }>(t.url, "GET", `/api/uploads/${started.body.id}`, {
      token: a.token,
    });
    expect(status.body.receivedParts).to.deep.equal([]);
  });

  it("answers 400, not 500, to a multipart form that ends early", async () => {
    const boundary = "b0undary";
    const truncated = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n` +
          "Content-Type: image/png\r\n\r\n",
      ),
      PNG_SIGNATURE,
      Buffer.alloc(5000, 1),
    ]);
    const res = await api<ErrorBody>(t.url, "POST", "/api/media", {
      token: a.token,
      rawBody: truncated,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    });
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal("MALFORMED_MULTIPART");
    await eventually(async () => {
      expect(await filesUnder(path.join(blobs, ".tmp"))).to.deep.equal([]);
    });
  });

  it("lets a body that keeps arriving, slowly, through", async () => {
    const conn = new RawConnection(t.url);
    const username = `slow_${Date.now() % 1_000_000}`;
    const body = JSON.stringify({ username, email: `${username}@example.com`, password: "correct horse" });
    await conn.write(
      requestHead("POST", "/api/auth/signup", {
        "content-type": "application/json",
        "content-length": body.length,
      }),
    );
    // Longer in all than the idle timeout, never idle for as long.
    const pieces = body.match(/.{1,12}/g) ?? [];
    for (const piece of pieces) {
      await conn.write(piece);
      await new Promise((r) => setTimeout(r, IDLE_MS / 3));
    }
    expect(pieces.length * (IDLE_MS / 3)).to.be.above(IDLE_MS * 2);
    expect((await conn.response()).status).to.equal(201);
    conn.destroy();
  });

  it("keeps a reused connection alive past the idle timeout once a body is in", async () => {
    const conn = new RawConnection(t.url);
    const body = JSON.stringify({ bio: "hello" });
    await conn.write(
      requestHead("PATCH", "/api/me", {
        authorization: `Bearer ${a.token}`,
        "content-type": "application/json",
        "content-length": body.length,
      }) + body,
    );
    expect((await conn.response()).status).to.equal(200);
    await new Promise((r) => setTimeout(r, IDLE_MS * 3));
    await conn.write(requestHead("GET", "/health/live", {}));
    expect((await conn.response()).status).to.equal(200);
    conn.destroy();
  });

  it("never cuts a request whose body is in while its action takes longer than the idle timeout", async () => {
    const accounts = t.node.app.accounts!;
    const login = accounts.login.bind(accounts);
    accounts.login = async (input) => {
      await new Promise((r) => setTimeout(r, IDLE_MS * 3));
      return login(input);
    };
    try {
      const conn = new RawConnection(t.url);
      const body = JSON.stringify({ login: a.username, password: a.password });
      await conn.write(
        requestHead("POST", "/api/auth/login", {
          "content-type": "application/json",
          "content-length": body.length,
        }) + body,
      );
      expect((await conn.response()).status).to.equal(200);
      conn.destroy();
    } finally {
      accounts.login = login;
    }
  });

  it("does not count our own pauses: a part sent at once while authentication is slow goes through", async () => {
    const accounts = t.node.app.accounts!;
    const authenticate = accounts.authenticate.bind(accounts);
    accounts.authenticate = async (token) => {
      await new Promise((r) => setTimeout(r, IDLE_MS * 4));
      return authenticate(token);
    };
    try {
      const { res, size } = await sendFirstPart(t.url, a.token, 3);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ n: 0, size });
    } finally {
      accounts.authenticate = authenticate;
    }
  });

  it("does not count a stalled event loop: a part whose bytes wait in the kernel while the node is busy goes through", async () => {
    const blobStore = t.node.app.blobs!;
    const putPart = blobStore.putPart.bind(blobStore);
    // The node blocks (a long GC, a loaded machine) right after it began reading, for longer than the idle
    // timeout: when the loop comes back, the socket's timer fires before the bytes that wait are read.
    blobStore.putPart = (key, uploadId, partNumber, body, maxBytes) => {
      let stalled = false;
      const stalling = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          if (!stalled) {
            stalled = true;
            // Outside the socket's own read, which would go on reading what waits once the block ends.
            setImmediate(() => {
              const until = Date.now() + IDLE_MS * 3;
              while (Date.now() < until) {
                // busy: nothing else runs
              }
            });
          }
          callback(null, chunk);
        },
      });
      body.on("error", (err) => stalling.destroy(err));
      return putPart(key, uploadId, partNumber, body.pipe(stalling), maxBytes);
    };
    try {
      const { res, size } = await sendFirstPart(t.url, a.token, 5);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ n: 0, size });
    } finally {
      blobStore.putPart = putPart;
    }
  });

  it("answers a 10 MB JSON body with a 413 the client can read, on every route, and closes", async () => {
    const body = Buffer.alloc(10 * 1024 * 1024, 0x20);
    for (const [method, route, token] of [
      ["POST", "/api/auth/signup", undefined],
      ["POST", "/api/posts", a.token],
      ["PATCH", "/api/me", a.token],
    ] as const) {
      // As simple clients do: the whole body first, then the answer. An early close would reset them.
      const conn = new RawConnection(t.url);
      await conn.write(
        requestHead(method, route, {
          "content-type": "application/json",
          "content-length": body.length,
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
        }),
      );
      await conn.write(body);
      const res = await conn.response();
      expect(res.status, route).to.equal(413);
      expect(envelopeOf(res).error.code).to.equal("PAYLOAD_TOO_LARGE");
      expect(res.headers.connection).to.equal("close");
      expect(res.headers["x-content-type-options"]).to.equal("nosniff");
      expect(await conn.closesWithin(2000)).to.equal(true);

      const viaFetch = await api<ErrorBody>(t.url, method, route, {
        rawBody: body,
        headers: { "content-type": "application/json" },
        ...(token !== undefined && { token }),
      });
      expect(viaFetch.status).to.equal(413);
      expect(viaFetch.body.error.code).to.equal("PAYLOAD_TOO_LARGE");
    }
  });

  it("answers 413 at once, and closes, to a body declared far beyond what is worth reading", async () => {
    const conn = new RawConnection(t.url);
    await conn.write(
      requestHead("POST", "/api/auth/signup", {
        "content-type": "application/json",
        "content-length": 1 << 30,
      }),
    );
    const res = await conn.response();
    expect(res.status).to.equal(413);
    expect(envelopeOf(res).error.code).to.equal("PAYLOAD_TOO_LARGE");
    expect(await conn.closesWithin(2000)).to.equal(true);
  });
});

/** Retries an assertion for a while: clean-up runs after the answer. */
async function eventually(check: () => Promise<void>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err: unknown) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
