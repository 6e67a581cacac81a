import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadConfig } from "../../config";
import { createNode, type MosaicNode } from "../../broker/create-node";
import type { ReadinessReport } from "../../lib/health/readiness";
import { PrivateServer } from "../support/private-server";
import { api } from "../support/test-node";

/**
 * A gateway-only node over NATS (a NATS of the test's own, so that it can be killed) is not ready, and says which
 * actions nobody serves, until nodes hosting them join; and no node is ready while NATS is down.
 */
describe("readiness in a cluster over NATS", function () {
  this.timeout(120_000);
  const namespace = `ready-${process.pid}-${Date.now().toString(36)}`;
  let nats: PrivateServer;
  let dataDir: string;
  const nodes: MosaicNode[] = [];
  let gateway: MosaicNode;
  let backend: MosaicNode;

  const start = async (name: string, env: Record<string, string>) => {
    const node = await createNode(
      loadConfig({
        TRANSPORTER: nats.url,
        NAMESPACE: namespace,
        JWT_SECRET: "readiness-secret-".padEnd(48, "x"),
        RATE_LIMITS: "off",
        LOG_LEVEL: "error",
        NODE_ID: `${namespace}-${name}`,
        PORT: "0",
        ...env,
      }),
    );
    nodes.push(node);
    await node.start();
    return node;
  };
  const readiness = async (node: MosaicNode) => {
    const res = await api<ReadinessReport & { status: string }>(
      `http://127.0.0.1:${node.httpPort()}`,
      "GET",
      "/health/ready",
    );
    return { status: res.status, body: res.body };
  };
  const waitFor = async (check: () => Promise<boolean>, what: string, ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async () => {
    nats = await PrivateServer.nats();
    dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-ready-"));
    gateway = await start("gw", { SERVICES: "gateway" });
  });

  after(async () => {
    for (const node of nodes.reverse()) await node.stop().catch(() => undefined);
    await nats?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("is 503 on a gateway alone, naming the actions nobody serves", async () => {
    const { status, body } = await readiness(gateway);
    expect(status).to.equal(503);
    expect(body.status).to.equal("not_ready");
    expect(body.checks).to.include({ broker: true, transporter: true, actions: false });
    expect(body.missing).to.include.members([
      "actions:users.signup",
      "actions:users.authenticate",
      "actions:timeline.feed",
      "actions:posts.create",
      "actions:inbox.replay",
    ]);
  });

  it("still names what is missing once some of it has joined", async () => {
    const users = await start("users", { SERVICES: "users,media", WORKER_ID: "1", DATA_DIR: dataDir });
    await gateway.broker.waitForServices(["users", "media"], 20_000);
    const { status, body } = await readiness(gateway);
    expect(status).to.equal(503);
    expect(body.missing).to.include("actions:timeline.feed");
    expect(body.missing.filter((m) => /^actions:(users|media)\./.test(m))).to.deep.equal([]);
    // A node without the gateway answers for what it hosts: its store, blobs and the transporter.
    const own = await readiness(users);
    expect(own.status).to.equal(200);
    expect(own.body.checks).to.deep.equal({ broker: true, transporter: true, store: true, blobs: true });
  });

  it("is 200 once every action its routes call has a live endpoint", async () => {
    backend = await start("social", {
      SERVICES: "graph,posts,timeline,interactions,stories,inbox,search,discovery",
      WORKER_ID: "2",
      DATA_DIR: path.join(dataDir, "social"),
    });
    await waitFor(async () => (await readiness(gateway)).status === 200, "the gateway to be ready");
    const { body } = await readiness(gateway);
    expect(body.missing).to.deep.equal([]);
    // The gateway serves media files from its local blob folder (BLOBS=fs), so it checks that folder too.
    expect(body.checks).to.deep.equal({ broker: true, transporter: true, blobs: true, actions: true });
  });

  it("is 503 on every node while NATS is down, and ready again when it returns", async () => {
    await nats.kill();
    for (const node of [gateway, backend]) {
      await waitFor(async () => (await readiness(node)).status === 503, "503 with NATS down", 10_000);
      const { body } = await readiness(node);
      expect(body.checks.transporter).to.equal(false);
      expect(body.missing).to.include("transporter");
    }
    await nats.start();
    for (const node of [gateway, backend]) {
      await waitFor(async () => (await readiness(node)).status === 200, "ready after NATS returns", 60_000);
    }
  });
});
