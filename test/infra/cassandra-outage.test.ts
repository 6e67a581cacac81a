import { execFile, spawnSync } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { api, signup, startTestNode, type ErrorBody, type TestNode } from "../support/test-node";
import { cassandraNodeEnv } from "../support/cassandra";

const ROOT = path.resolve(__dirname, "../..");
/**
 * Not execFileSync: the node under test runs in this process, and a loop frozen for the seconds Cassandra takes
 * to stop fires every expired timer at once on waking, the server's keep-alive timeouts among them, which then
 * race the client's next request on the same sockets (a reset that no real deployment sees).
 */
const infra = async (command: "up" | "down") => {
  const { stdout, stderr } = await promisify(execFile)("bash", [
    path.join(ROOT, "scripts/infra/cassandra.sh"),
    command,
  ]);
  process.stdout.write(stdout);
  process.stderr.write(stderr);
};

/**
 * Stops the real Cassandra under a running node: requests answer 503 with the envelope within the request
 * timeout, readiness says 503, and once Cassandra is back the node recovers without a restart.
 */
describe("Cassandra outage", function () {
  this.timeout(300_000);
  const REQUEST_TIMEOUT_MS = 10_000;
  let t: TestNode;

  before(async function () {
    const status = spawnSync("bash", [path.join(ROOT, "scripts/infra/cassandra.sh"), "status"], {
      encoding: "utf8",
    });
    if (status.stderr.includes("not started by this script")) {
      // A Cassandra someone else runs (docker compose, a shared one) is not ours to stop.
      console.warn("    skipped: this checkout did not start the Cassandra on 9042, so it may not stop it");
      this.skip();
    }
    t = await startTestNode({ ...cassandraNodeEnv(), REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
  });
  after(async () => {
    await infra("up");
    await t?.stop();
  });

  it("answers 503 while Cassandra is down and recovers when it is back", async () => {
    const a = await signup(t.url);
    expect((await api(t.url, "GET", "/api/me", { token: a.token })).status).to.equal(200);

    await infra("down");
    const started = Date.now();
    const down = await api<ErrorBody>(t.url, "GET", "/api/me", { token: a.token });
    const elapsed = Date.now() - started;
    expect(down.status).to.equal(503);
    expect(down.body.error.code).to.equal("STORE_UNAVAILABLE");
    expect(elapsed, "answered within the request timeout").to.be.below(REQUEST_TIMEOUT_MS + 2_000);
    const signupDown = await api<ErrorBody>(t.url, "POST", "/api/auth/signup", {
      body: {
        username: `outage_${Date.now().toString(36)}`,
        email: `o${Date.now()}@example.com`,
        password: "password1",
      },
    });
    expect(signupDown.status).to.equal(503);
    expect((await api(t.url, "GET", "/health/ready")).status).to.equal(503);

    await infra("up");
    const deadline = Date.now() + 120_000;
    let status = 0;
    while (Date.now() < deadline) {
      // A pooled keep-alive connection may have been closed meanwhile: a failed fetch is just another try.
      status = await api(t.url, "GET", "/api/me", { token: a.token }).then(
        (res) => res.status,
        () => 0,
      );
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(status, "recovered without a restart").to.equal(200);
    expect((await api(t.url, "GET", "/health/ready")).status).to.equal(200);
  });
});
