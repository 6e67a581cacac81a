import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadConfig } from "../../config";
import { createNode, type MosaicNode } from "../../broker/create-node";
import { createUsersService } from "../../services/users.service";
import { api, signup, uniqueName } from "../support/test-node";

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/**
 * Two nodes over the real NATS: a gateway-only node and a users node. Proves that the same code runs split by
 * configuration alone, and that params, results and errors cross the transporter intact.
 */
describe("a cluster over NATS: gateway node + users node", function () {
  this.timeout(60_000);
  const namespace = `e2e-${process.pid}-${Date.now().toString(36)}`;
  const secret = "e2e-secret-".padEnd(48, "x");
  let dataDir: string;
  let gateway: MosaicNode;
  let users: MosaicNode;
  let url: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-e2e-"));
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
        // Everything the gateway's routes call, so that its readiness can go from 200 to 503 and back.
        SERVICES: "users,graph,posts,timeline,interactions,stories,inbox,media,search,discovery",
        NODE_ID: `${namespace}-users`,
        WORKER_ID: "1",
        DATA_DIR: dataDir,
      }),
    );
    gateway = await createNode(
      loadConfig({ ...common, SERVICES: "gateway", NODE_ID: `${namespace}-gw`, WORKER_ID: "2", PORT: "0" }),
    );
    await users.start();
    await gateway.start();
    await gateway.broker.waitForServices(["users"], 10_000);
    url = `http://127.0.0.1:${gateway.httpPort()}`;
  });

  after(async () => {
    await gateway?.stop();
    await users?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps the store on the users node only", () => {
    expect(gateway.app.store).to.equal(undefined);
    expect(users.app.store).to.not.equal(undefined);
  });

  it("signs up, reads /me and logs out through the gateway node", async () => {
    const a = await signup(url);
    const me = await api<{ id: string; email: string }>(url, "GET", "/api/me", { token: a.token });
    expect(me.status).to.equal(200);
    expect(me.body.id).to.equal(a.user.id);
    expect((await api(url, "POST", "/api/auth/logout", { token: a.token })).status).to.equal(204);
    expect((await api(url, "GET", "/api/me", { token: a.token })).status).to.equal(401);
  });

  it("carries validation and domain errors across the transporter with their codes", async () => {
    const bad = await api<{ error: { code: string; details: { field: string }[] } }>(
      url,
      "POST",
      "/api/auth/signup",
      {
        body: { username: "x", email: "nope", password: "short" },
      },
    );
    expect(bad.status).to.equal(400);
    expect(bad.body.error.code).to.equal("VALIDATION_FAILED");
    expect(bad.body.error.details.map((d) => d.field)).to.include.members(["username", "email", "password"]);

    const a = await signup(url);
    const taken = await api<{ error: { code: string } }>(url, "POST", "/api/auth/signup", {
      body: { username: a.username, email: `${uniqueName("o")}@example.com`, password: "password1" },
    });
    expect(taken.status).to.equal(409);
    expect(taken.body.error.code).to.equal("USERNAME_TAKEN");
  });

  it("answers 503 when no node hosts the users service, and recovers when one returns", async () => {
    const a = await signup(url);
    await users.broker.destroyService(users.broker.getLocalService("users"));
    await waitFor(async () => (await api(url, "GET", "/health/ready")).status === 503);
    const down = await api<{ error: { code: string } }>(url, "GET", "/api/me", { token: a.token });
    expect(down.status).to.equal(503);
    expect(down.body.error.code).to.equal("SERVICE_UNAVAILABLE");

    users.broker.createService(
      createUsersService({
        accounts: users.app.accounts!,
        callerProofs: users.app.callerProofs!,
        audit: users.app.audit!,
      }),
    );
    await gateway.broker.waitForServices(["users"], 10_000);
    const back = await api(url, "GET", "/api/me", { token: a.token });
    expect(back.status).to.equal(200);
    expect((await api(url, "GET", "/health/ready")).status).to.equal(200);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("condition not met in time");
}
