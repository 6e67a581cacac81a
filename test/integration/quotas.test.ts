import { expect } from "chai";
import { api, signup, startTestNode, type ErrorBody, type TestNode } from "../support/test-node";

type Account = Awaited<ReturnType<typeof signup>>;

describe("per-user quotas through the gateway", function () {
  this.timeout(120_000);

  const follow = (t: TestNode, who: Account, whom: Account) =>
    api<ErrorBody>(t.url, "POST", `/api/users/${whom.username}/follow`, { token: who.token });

  describe("with RATE_LIMITS=on", () => {
    let t: TestNode;
    before(async () => {
      t = await startTestNode({ RATE_LIMITS: "on", QUOTA_FOLLOWS_PER_HOUR: "2" });
    });
    after(async () => {
      await t.stop();
    });

    it("answers 429 with Retry-After past the hourly follow quota, for that user only", async () => {
      const [a, b, c, d, e] = [
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
      ];
      expect((await follow(t, a, b)).status).to.equal(200);
      expect((await follow(t, a, c)).status).to.equal(200);
      const refused = await follow(t, a, d);
      expect(refused.status, refused.text).to.equal(429);
      expect(refused.body.error.code).to.equal("RATE_LIMITED");
      expect(Number(refused.headers.get("retry-after"))).to.be.within(1, 3600);
      // The refusal happened before the action: no edge was written.
      const followers = await api<{ items: unknown[] }>(t.url, "GET", `/api/users/${d.username}/followers`, {
        token: d.token,
      });
      expect(followers.body.items).to.have.length(0);
      // A quota is per user, and other routes do not spend it.
      expect((await follow(t, e, d)).status).to.equal(200);
      expect(
        (await api(t.url, "DELETE", `/api/users/${b.username}/follow`, { token: a.token })).status,
      ).to.equal(200);
    });
  });

  describe("with RATE_LIMITS=off", () => {
    let t: TestNode;
    before(async () => {
      t = await startTestNode({ RATE_LIMITS: "off", QUOTA_FOLLOWS_PER_HOUR: "2" });
    });
    after(async () => {
      await t.stop();
    });

    it("lifts the quotas", async () => {
      const [a, b, c, d] = [
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
        await signup(t.url),
      ];
      for (const whom of [b, c, d]) expect((await follow(t, a, whom)).status).to.equal(200);
    });
  });
});
