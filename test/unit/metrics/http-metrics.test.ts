import { expect } from "chai";
import { Counter } from "prom-client";
import { NodeMetrics } from "../../../lib/metrics";

describe("the HTTP metrics", () => {
  it("count requests per route and status class, and time them per route", async () => {
    const metrics = new NodeMetrics();
    const route = "GET /api/users/:username";
    for (const status of [200, 201, 204, 404, 401, 503]) metrics.http.observe(route, status, 0.003);
    metrics.http.observe("unmatched", 404, 0.0001);

    const text = await metrics.render();
    const requests = (statusClass: string, r = route) =>
      new RegExp(
        `^mosaic_http_requests_total\\{route="${r}",status_class="${statusClass}"\\} (\\d+)$`,
        "m",
      ).exec(text)?.[1];
    expect(requests("2xx")).to.equal("3");
    expect(requests("4xx")).to.equal("2");
    expect(requests("5xx")).to.equal("1");
    expect(requests("4xx", "unmatched")).to.equal("1");
    expect(text).to.match(
      /^mosaic_http_request_duration_seconds_count\{route="GET \/api\/users\/:username"\} 6$/m,
    );
    expect(text).to.match(
      /^mosaic_http_request_duration_seconds_bucket\{le="0\.005",route="GET \/api\/users\/:username"\} 6$/m,
    );
  });

  it("binds a route's series once: later requests look nothing up in prom-client", () => {
    const metrics = new NodeMetrics();
    const proto = Counter.prototype as unknown as { labels: (...args: string[]) => unknown };
    const labels = proto.labels;
    let bound = 0;
    proto.labels = function (this: unknown, ...args: string[]) {
      bound += 1;
      return labels.apply(this, args);
    };
    try {
      for (let i = 0; i < 100; i++) metrics.http.observe("GET /api/me", i % 2 ? 200 : 401, 0.001);
    } finally {
      proto.labels = labels;
    }
    expect(bound).to.equal(2);
  });

  it("keeps each node's counts apart", async () => {
    const a = new NodeMetrics();
    const b = new NodeMetrics();
    a.http.observe("GET /api/me", 200, 0.001);
    expect(await a.render()).to.match(
      /^mosaic_http_requests_total\{route="GET \/api\/me",status_class="2xx"\} 1$/m,
    );
    expect(await b.render()).to.not.match(/^mosaic_http_requests_total\{/m);
  });
});
