import { expect } from "chai";
import { OpsServer } from "../../../lib/http/ops-server";
import type { MetricsEndpoint } from "../../../lib/metrics";

const ready = () => Promise.resolve({ ready: true, checks: {}, missing: [], degraded: [] });
const metrics: MetricsEndpoint = {
  contentType: "text/plain; version=0.0.4; charset=utf-8",
  render: () => Promise.resolve("# nothing\n"),
};

describe("the ops server of nodes without the gateway", () => {
  it("sends nosniff, no-referrer and a CSP on every answer", async () => {
    const ops = new OpsServer({ readiness: ready, metrics });
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

  it("serves the rendered metrics with their content type, and a 500 when rendering fails", async () => {
    const failing: MetricsEndpoint = {
      ...metrics,
      render: () => Promise.reject(new Error("collect failed")),
    };
    for (const [endpoint, status, type, body] of [
      [metrics, 200, metrics.contentType, "# nothing\n"],
      [failing, 500, "application/json", /INTERNAL_ERROR/],
    ] as const) {
      const ops = new OpsServer({ readiness: ready, metrics: endpoint });
      const port = await ops.listen(0, "127.0.0.1");
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(res.status).to.equal(status);
        expect(res.headers.get("content-type")).to.equal(type);
        const text = await res.text();
        if (typeof body === "string") expect(text).to.equal(body);
        else expect(text).to.match(body);
      } finally {
        await ops.close();
      }
    }
  });
});
