import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadConfig } from "../../config";
import { createNode, type MosaicNode } from "../../broker/create-node";
import { PrivateServer } from "../support/private-server";
import { api, type ErrorBody } from "../support/test-node";

const REQUEST_TIMEOUT_MS = 3_000;

/**
 * NATS down (issue #9): a gateway node whose peers it can no longer reach answers 503 with the envelope within
 * the request timeout (no hang), still answers what it can itself, and recovers without a restart once NATS is
 * back; a write whose client got that 503 is not carried out later, when the NATS client flushes what it had
 * buffered.
 */
describe("a NATS outage", function () {
  this.timeout(180_000);
  const namespace = `nats-out-${process.pid}-${Date.now().toString(36)}`;
  let nats: PrivateServer;
  let dataDir: string;
  const nodes: MosaicNode[] = [];
  let url: string;
  let token: string;

  const start = async (name: string, env: Record<string, string>) => {
    const node = await createNode(
      loadConfig({
        TRANSPORTER: nats.url,
        NAMESPACE: namespace,
        JWT_SECRET: "nats-outage-secret-".padEnd(48, "x"),
        RATE_LIMITS: "off",
        LOG_LEVEL: "error",
        NODE_ID: `${namespace}-${name}`,
        PORT: "0",
        REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        ...env,
      }),
    );
    nodes.push(node);
    await node.start();
    return node;
  };
  const waitFor = async (check: () => Promise<boolean>, what: string, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const timed = async <T>(run: () => Promise<T>) => {
    const started = Date.now();
    const result = await run();
    return { result, ms: Date.now() - started };
  };
  const me = () => api<{ bio: string } & ErrorBody>(url, "GET", "/api/me", { token });
  const expectUnavailableInTime = async (
    what: string,
    run: () => Promise<{ status: number; body: ErrorBody }>,
  ) => {
    const { result, ms } = await timed(run);
    expect(result.status, `${what}: ${JSON.stringify(result.body)}`).to.equal(503);
    expect(result.body.error.code, what).to.match(/^[A-Z_]+$/);
    // The request timeout, plus the moment it takes to answer: never the 10–40 s of retried timeouts.
    expect(ms, what).to.be.below(REQUEST_TIMEOUT_MS + 1_500);
  };

  before(async () => {
    nats = await PrivateServer.nats();
    dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-nats-out-"));
    await start("backend", {
      SERVICES: "users,graph,posts,media,timeline,interactions,stories,inbox,search,discovery",
      WORKER_ID: "1",
      DATA_DIR: dataDir,
    });
    const gateway = await start("gw", { SERVICES: "gateway" });
    url = `http://127.0.0.1:${gateway.httpPort()}`;
    await waitFor(
      async () => (await api(url, "GET", "/health/ready")).status === 200,
      "the gateway to be ready",
    );
    const signup = await api<{ token: string }>(url, "POST", "/api/auth/signup", {
      body: {
        username: `n${Date.now().toString(36)}`,
        email: `n${Date.now()}@example.com`,
        password: "password1",
      },
    });
    expect(signup.status, signup.text).to.equal(201);
    token = signup.body.token;
  });

  after(async () => {
    for (const node of nodes.reverse()) await node.stop().catch(() => undefined);
    await nats.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("answers 503 at once while NATS is gone, serves what it can, and recovers without a restart", async () => {
    expect((await me()).status).to.equal(200);
    await nats.kill();
    for (let i = 0; i < 3; i++) await expectUnavailableInTime(`GET /api/me #${i + 1}`, me);
    expect((await api(url, "GET", "/health/live")).status, "liveness is the node's own").to.equal(200);
    expect((await api(url, "GET", "/health/ready")).status, "readiness says NATS is missing").to.equal(503);
    await nats.start();
    await waitFor(async () => (await me()).status === 200, "the gateway to reach the users node again");
  });

  it("answers 503 within the timeout while NATS hangs, and never carries out the write later", async () => {
    expect((await me()).status).to.equal(200);
    nats.pause();
    const bio = `written during the outage ${Date.now()}`;
    await expectUnavailableInTime("PATCH /api/me while NATS hangs", () =>
      api<ErrorBody>(url, "PATCH", "/api/me", { token, body: { bio } }),
    );
    await expectUnavailableInTime("GET /api/me while NATS hangs", me);
    // Long enough that the request's deadline has passed by any node's clock before NATS delivers it.
    await new Promise((r) => setTimeout(r, 2_500));
    nats.resume();
    await waitFor(async () => (await me()).status === 200, "the gateway to reach the users node again");
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await me();
    expect(after.body.bio, "the write its client was told failed did not happen later").to.not.equal(bio);
  });
});
