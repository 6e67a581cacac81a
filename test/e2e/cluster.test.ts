import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadConfig } from "../../config";
import { createNode, type MosaicNode } from "../../broker/create-node";
import { createUsersService } from "../../services/users.service";
import { adminCommands } from "../../broker/admin-commands";
import { call } from "../../broker/calls";
import { printed } from "../support/repl";
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
  const commonEnv = () => ({
    TRANSPORTER: NATS_URL,
    NAMESPACE: namespace,
    JWT_SECRET: secret,
    RATE_LIMITS: "off",
    LOG_LEVEL: "warn",
    CHECK_RESULTS: "on",
  });

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-e2e-"));
    const common = commonEnv();
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
        recovery: users.app.recovery!,
        deletionGraceMs: 30 * 24 * 3600_000,
        store: users.app.store!,
        now: Date.now,
      }),
    );
    await gateway.broker.waitForServices(["users"], 10_000);
    const back = await api(url, "GET", "/api/me", { token: a.token });
    expect(back.status).to.equal(200);
    expect((await api(url, "GET", "/health/ready")).status).to.equal(200);
  });

  it("runs the operator's commands from a console node, audited, and drains a node by name", async () => {
    const consoleNode = await createNode(
      loadConfig({
        TRANSPORTER: NATS_URL,
        NAMESPACE: namespace,
        JWT_SECRET: secret,
        SERVICES: "none",
        LOG_LEVEL: "warn",
        NODE_ID: `${namespace}-console`,
      }),
    );
    await consoleNode.start();
    try {
      await consoleNode.broker.waitForServices(["admin"], 10_000);
      const commands = adminCommands(() => consoleNode.app.callerProofs);
      const run = async (name: string, args: unknown): Promise<string> => {
        const found = commands.find((c) => c.command.split(" ")[0] === name);
        if (!found) throw new Error(`no command ${name}`);
        return (await printed(found, consoleNode.broker, args)).join("\n");
      };
      const a = await signup(url);
      expect(await run("suspend", { user: a.username, options: { reason: "spam", for: "1h" } })).to.match(
        /suspended until .* \(spam\)/,
      );
      expect((await api(url, "GET", "/api/me", { token: a.token })).status).to.equal(401);
      expect(await run("lookup", { user: a.user.id })).to.include(`${a.username} (${a.user.id})`);
      expect(await run("unsuspend", { user: a.username })).to.include("in good standing");
      expect(await run("lookup", { user: uniqueName("nobody") })).to.match(
        /^error 404 USER_NOT_FOUND: no user/,
      );

      const { rows } = await call(consoleNode.broker, "users.auditLog", { limit: 20 });
      const mine = rows.filter((row) => row.targetUser === `${a.username} (${a.user.id})`);
      expect(mine.map((row) => `${row.command} ${row.outcome}`)).to.deep.equal([
        "unsuspend ok",
        "suspend ok",
      ]);
      expect(mine[0]?.operator).to.match(new RegExp(`^console .+@${namespace}-console$`));

      // A gateway of its own, drained by name: it stops while the cluster goes on.
      const extra = await createNode(
        loadConfig({
          ...commonEnv(),
          SERVICES: "gateway",
          NODE_ID: `${namespace}-gw2`,
          WORKER_ID: "3",
          PORT: "0",
        }),
      );
      await extra.start();
      const drainable = () =>
        consoleNode.broker.registry.getActionEndpoints("lifecycle.drain")?.endpoints.map((e) => e.id) ?? [];
      await waitFor(() => Promise.resolve(drainable().includes(`${namespace}-gw2`)));
      expect(await run("drain", { nodeId: `${namespace}-gw2` })).to.equal(
        `node ${namespace}-gw2 is draining`,
      );
      await waitFor(() => Promise.resolve(!extra.broker.started));
      expect((await api(url, "GET", "/health/ready")).status, "the other gateway serves on").to.equal(200);
    } finally {
      await consoleNode.stop();
    }
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
