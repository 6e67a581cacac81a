import type { ServerResponse } from "node:http";
import { PassThrough } from "node:stream";
import { expect } from "chai";
import { jsonBody, type JsonBodyRequest } from "../../../lib/http/json-body";

const LIMIT = 1024;
const DRAIN = 8 * 1024;
const read = jsonBody({ limitBytes: LIMIT, drainLimitBytes: DRAIN });

/** A request body fed by hand, and what the middleware did with it. */
function request(headers: Record<string, string>) {
  const body = new PassThrough();
  const req = Object.assign(body, { method: "POST", headers }) as unknown as JsonBodyRequest;
  const sent: Record<string, string> = {};
  const res = { setHeader: (name: string, value: string) => (sent[name.toLowerCase()] = value) };
  let fed = 0;
  const outcome = new Promise<{ err: unknown; fedWhenDone: number }>((resolve) =>
    read(req, res as unknown as ServerResponse, (err?: unknown) => resolve({ err, fedWhenDone: fed })),
  );
  const feed = async (bytes: number) => {
    fed += bytes;
    body.write(Buffer.alloc(bytes, 0x20));
    await new Promise((r) => setImmediate(r));
  };
  return { req, sent, outcome, feed, write: (text: string) => body.write(text), end: () => body.end() };
}

function statusOf(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "status" in err ? Number(err.status) : undefined;
}

describe("the JSON body reader", () => {
  it("parses a JSON object within the limit", async () => {
    const r = request({ "content-type": "application/json", "transfer-encoding": "chunked" });
    const done = r.outcome;
    r.write('{"a":1}');
    r.end();
    expect((await done).err).to.equal(undefined);
    expect(r.req.body).to.deep.equal({ a: 1 });
  });

  it("reads an oversized body to its end before answering 413, then closes the connection", async () => {
    const r = request({ "content-type": "application/json", "transfer-encoding": "chunked" });
    let settled = false;
    void r.outcome.then(() => (settled = true));
    for (let i = 0; i < 6; i++) await r.feed(1000);
    expect(settled, "answered while the client is still sending").to.equal(false);
    r.end();
    const { err, fedWhenDone } = await r.outcome;
    expect(statusOf(err)).to.equal(413);
    expect(fedWhenDone).to.equal(6000);
    expect(r.sent.connection).to.equal("close");
  });

  it("stops reading past the drain bound and answers 413 at once", async () => {
    const r = request({ "content-type": "application/json", "transfer-encoding": "chunked" });
    let settled = false;
    void r.outcome.then(() => (settled = true));
    for (let i = 0; i < 10 && !settled; i++) await r.feed(1000);
    const { err, fedWhenDone } = await r.outcome;
    expect(statusOf(err)).to.equal(413);
    expect(fedWhenDone)
      .to.be.above(DRAIN)
      .and.below(DRAIN + 2000);
    expect(r.sent.connection).to.equal("close");
  });

  it("answers at once when the declared length is past the drain bound", async () => {
    const r = request({ "content-type": "application/json", "content-length": String(DRAIN + 1) });
    const { err, fedWhenDone } = await r.outcome;
    expect(statusOf(err)).to.equal(413);
    expect(fedWhenDone).to.equal(0);
  });

  it("drains a body that is not JSON before answering 415", async () => {
    const r = request({ "content-type": "text/plain", "content-length": "3000" });
    let settled = false;
    void r.outcome.then(() => (settled = true));
    await r.feed(2000);
    expect(settled).to.equal(false);
    await r.feed(1000);
    r.end();
    const { err } = await r.outcome;
    expect(statusOf(err)).to.equal(415);
    expect(r.sent.connection).to.equal("close");
  });
});
