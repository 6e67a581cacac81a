import { expect } from "chai";
import { RawConnection, requestHead } from "../support/raw-http";
import { api, startTestNode, type ErrorBody, type TestNode } from "../support/test-node";

/**
 * Past MAX_IN_FLIGHT API requests a gateway refuses more at once, with 503, the envelope and Retry-After, rather
 * than queueing them behind the others; probes still answer, and places free up as requests end.
 */
describe("the gateway under overload", function () {
  this.timeout(30_000);
  let t: TestNode;
  const held: RawConnection[] = [];

  before(async () => {
    t = await startTestNode({ MAX_IN_FLIGHT: "2", BODY_IDLE_TIMEOUT_MS: "20000" });
  });
  after(async () => {
    for (const c of held) c.destroy();
    await t.stop();
  });

  /** A request whose body never completes: it holds its place until it ends. */
  const holdOne = async () => {
    const c = new RawConnection(t.url);
    held.push(c);
    await c.write(
      requestHead("POST", "/api/auth/login", { "content-type": "application/json", "content-length": 200 }) +
        '{"login":',
    );
    return c;
  };

  it("refuses a request past the bound at once with 503 and Retry-After, then admits again", async () => {
    expect((await api(t.url, "GET", "/api/me")).status, "admitted while places are free").to.equal(401);
    await holdOne();
    await holdOne();
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const refused = await api<ErrorBody>(t.url, "GET", "/api/me");
    expect(Date.now() - started, "refused without waiting for a place").to.be.below(1_000);
    expect(refused.status).to.equal(503);
    expect(refused.body.error.code).to.equal("OVERLOADED");
    expect(refused.headers.get("retry-after")).to.equal("1");
    expect(refused.headers.get("x-content-type-options")).to.equal("nosniff");
    // Probes and metrics are not API requests: an operator still sees the node.
    expect((await api(t.url, "GET", "/health/live")).status).to.equal(200);
    for (const c of held.splice(0)) c.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await api(t.url, "GET", "/api/me")).status, "places free once the requests end").to.equal(401);
  });
});
