import http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadConfig } from "../../config";
import { createNode } from "../../broker/create-node";
import { openRawStream, send, slowJsonRequest } from "../support/steady-load";
import { signup, startTestNode, type TestNode } from "../support/test-node";

/**
 * The steps of a graceful stop on one node (the e2e test `graceful-shutdown` runs them under load in a cluster):
 * drain (not ready, still serving, connections closed after each answer), then stop (no new connections, streams
 * told to reconnect, in-flight requests finished).
 */
describe("a graceful stop of one node", function () {
  this.timeout(60_000);
  let t: TestNode | undefined;

  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it("says 503 while draining yet serves, then finishes in-flight requests and hints its streams", async () => {
    t = await startTestNode();
    const url = t.url;
    const user = await signup(url);
    const stream = await openRawStream(url, user.token);
    expect(stream.status).to.equal(200);
    const agent = new http.Agent({ keepAlive: true });
    try {
      expect((await send(agent, url, "GET", "/api/me", { token: user.token })).headers.connection).to.equal(
        "keep-alive",
      );

      const draining = t.node.drain(60_000);
      const ready = await send(false, url, "GET", "/health/ready");
      expect(ready.status).to.equal(503);
      expect((JSON.parse(ready.text) as { missing: string[] }).missing).to.deep.equal(["draining"]);
      const me = await send(agent, url, "GET", "/api/me", { token: user.token });
      expect(me.status).to.equal(200);
      // So that a client's next request opens a connection, which a load balancer sends to a ready node.
      expect(me.headers.connection).to.equal("close");

      // A body still coming in when the stop begins.
      const slow = slowJsonRequest(
        url,
        "PATCH",
        "/api/me",
        user.token,
        { bio: "written across the stop" },
        1_500,
      );
      await new Promise((r) => setTimeout(r, 300));
      const stopped = t.node.stop();
      const streamEnded = await stream.ended;
      const answered = await slow;
      expect(answered, JSON.stringify(answered)).to.include({ status: 200 });
      expect(answered.at).to.be.above(streamEnded);
      expect(stream.text())
        .to.match(/^retry: \d+$/m)
        .and.match(/^id: \d+$/m);
      const refused = await send(false, url, "GET", "/health/live").then(
        () => "answered",
        (err: NodeJS.ErrnoException) => err.code,
      );
      expect(refused).to.equal("ECONNREFUSED");
      await stopped;
      // The drain was asked for a minute: the stop ended it.
      await draining;
    } finally {
      agent.destroy();
      stream.close();
    }
  });

  it("does not wait out a drain on a node that serves no API, but says 503 on its ops port", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-drain-"));
    const node = await createNode(
      loadConfig({
        SERVICES: "users",
        PORT: "0",
        DATA_DIR: dataDir,
        LOG_LEVEL: "error",
        DRAIN_SECONDS: "300",
      }),
    );
    await node.start();
    try {
      const url = `http://127.0.0.1:${node.httpPort()}`;
      expect((await send(false, url, "GET", "/health/ready")).status).to.equal(200);
      // Resolving at all is the point: with the 300 s asked for, the test would time out.
      await node.drain();
      const ready = await send(false, url, "GET", "/health/ready");
      expect(ready.status).to.equal(503);
      expect(ready.text).to.contain('"draining"');
    } finally {
      await node.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
