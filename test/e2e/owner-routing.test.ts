import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ServiceBroker } from "moleculer";
import { loadConfig } from "../../config";
import { createNode, type MosaicNode } from "../../broker/create-node";
import { OWNER_STRATEGY, ownerAmong, registerOwnerStrategy } from "../../broker/owner-strategy";
import { api, signup, type Account } from "../support/test-node";

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/**
 * Reads through the gateway reach the owner of the caller's actor. moleculer-web picks an endpoint before it
 * authenticates, so without the gateway picking again a feed read went to any timeline node: one whose memory
 * missed what the fan-out had pushed to the owner (issue #9's 1,450 followers without the post).
 *
 * Two bare brokers host a `timeline.feed` routed as the real one is (by caller, Owner strategy) that answers
 * which node it ran on; with the users node's own timeline there are three owners to choose from.
 */
describe("the gateway routes a caller's actor calls to the owner", function () {
  this.timeout(60_000);
  const namespace = `own-${process.pid}-${Date.now().toString(36)}`;
  const secret = "owner-routing-secret-".padEnd(48, "x");
  let dataDir: string;
  let gateway: MosaicNode;
  let users: MosaicNode;
  const bare: ServiceBroker[] = [];
  let url: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-own-"));
    const common = {
      TRANSPORTER: NATS_URL,
      NAMESPACE: namespace,
      JWT_SECRET: secret,
      RATE_LIMITS: "off",
      LOG_LEVEL: "warn",
      CHECK_RESULTS: "on",
    };
    users = await createNode(
      loadConfig({
        ...common,
        SERVICES: "users,graph,posts,timeline,search,discovery",
        NODE_ID: `${namespace}-users`,
        WORKER_ID: "1",
        DATA_DIR: dataDir,
      }),
    );
    gateway = await createNode(
      loadConfig({ ...common, SERVICES: "gateway", NODE_ID: `${namespace}-gw`, WORKER_ID: "2", PORT: "0" }),
    );
    registerOwnerStrategy();
    for (const name of ["a", "b"]) {
      const broker = new ServiceBroker({
        nodeID: `${namespace}-${name}`,
        namespace,
        transporter: { type: "NATS", options: { url: NATS_URL } },
        logger: false,
        heartbeatInterval: 2,
        heartbeatTimeout: 6,
      });
      broker.createService({
        name: "timeline",
        actions: {
          feed: {
            strategy: OWNER_STRATEGY,
            strategyOptions: { shardKey: "#user.userId" },
            handler: () => ({ items: [], nextCursor: null, servedBy: broker.nodeID }),
          },
        },
      });
      bare.push(broker);
    }
    await users.start();
    await Promise.all(bare.map((b) => b.start()));
    await gateway.start();
    await gateway.broker.waitForServices(["users", "timeline"], 10_000);
    // Every timeline host known to the gateway before the first read.
    await waitUntil(
      () => (gateway.broker.registry.getActionEndpoints("timeline.feed")?.endpoints.length ?? 0) === 3,
    );
    url = `http://127.0.0.1:${gateway.httpPort()}`;
  });

  after(async () => {
    await gateway?.stop();
    await Promise.all(bare.map((b) => b.stop()));
    await users?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("sends every feed read of a user to the node that owns that user", async () => {
    const hosts = [`${namespace}-users`, `${namespace}-a`, `${namespace}-b`];
    const readers: Account[] = [];
    for (let i = 0; i < 6; i++) readers.push(await signup(url));
    const wrong: string[] = [];
    for (const reader of readers) {
      const owner = ownerAmong(hosts, reader.user.id);
      for (let read = 0; read < 4; read++) {
        const res = await api<{ servedBy?: string }>(url, "GET", "/api/feed", { token: reader.token });
        expect(res.status, res.text).to.equal(200);
        // The users node's real timeline answers without `servedBy`.
        const servedBy = res.body.servedBy ?? `${namespace}-users`;
        if (servedBy !== owner) wrong.push(`${reader.user.id}: read ${read} on ${servedBy}, owner ${owner}`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
}
