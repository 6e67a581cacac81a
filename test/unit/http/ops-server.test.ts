import { expect } from "chai";
import { OpsServer } from "../../../lib/http/ops-server";

describe("the ops server of nodes without the gateway", () => {
  it("sends nosniff, no-referrer and a CSP on every answer", async () => {
    const ops = new OpsServer({
      readiness: () => Promise.resolve({ ready: true, checks: {}, missing: [], degraded: [] }),
      metrics: () => "# nothing\n",
    });
    const port = await ops.listen(0, "127.0.0.1");
    try {
      for (const route of ["/health/live", "/health/ready", "/metrics", "/elsewhere"]) {
        const res = await fetch(`http://127.0.0.1:${port}${route}`);
        await res.text();
        expect(res.headers.get("x-content-type-options"), route).to.equal("nosniff");
        expect(res.headers.get("referrer-policy"), route).to.equal("no-referrer");
        expect(res.headers.get("content-security-policy"), route).to.contain("default-src 'self'");
      }
    } finally {
      await ops.close();
    }
  });
});
