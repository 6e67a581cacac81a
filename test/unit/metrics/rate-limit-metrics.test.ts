import { expect } from "chai";
import { NodeMetrics } from "../../../lib/metrics";
import { createRateLimiter } from "../../../lib/rate-limit/factory";
import {
  QUOTA_NAMES,
  RATE_LIMIT_NAMES,
  limitNameOf,
  rateLimitKeys,
} from "../../../lib/rate-limit/rate-limiter";
import { RedisConnection } from "../../../lib/redis/connection";
import { scrape } from "./scrape";

describe("the rate-limit metrics", () => {
  it("count refusals per limit, never per key, and nothing that was allowed", async () => {
    const metrics = new NodeMetrics();
    const limiter = createRateLimiter(undefined, () => 1_000_000, "", metrics.rateLimits);
    for (let i = 0; i < 5; i++) await limiter.hit(rateLimitKeys.quota("likes", "42"), 3, 60_000);
    await limiter.hit(rateLimitKeys.login("203.0.113.9"), 1, 60_000);
    await limiter.hit(rateLimitKeys.login("203.0.113.9"), 1, 60_000);
    await limiter.hit(rateLimitKeys.write("42"), 10, 60_000);

    const samples = await scrape(metrics);
    expect(samples.get('mosaic_rate_limit_rejections_total{limit="quota_likes"}')).to.equal(2);
    expect(samples.get('mosaic_rate_limit_rejections_total{limit="login"}')).to.equal(1);
    expect(samples.get('mosaic_rate_limit_rejections_total{limit="write"}')).to.equal(0);
    const text = await metrics.render();
    expect(text).to.not.include("203.0.113.9");
    expect(text).to.not.match(/limit="[^"]*42/);
    // Per-node counting is the design of a node without Redis, not a fallback.
    expect(samples.get("mosaic_rate_limit_redis_fallback_active")).to.equal(0);
  });

  it("name every key by one of a fixed set of limits", () => {
    const keys = [
      rateLimitKeys.signup("::1"),
      rateLimitKeys.login("10.0.0.1"),
      rateLimitKeys.recovery("10.0.0.2"),
      rateLimitKeys.write("7"),
      ...QUOTA_NAMES.map((name) => rateLimitKeys.quota(name, "7")),
    ];
    expect(keys.map(limitNameOf)).to.deep.equal([...RATE_LIMIT_NAMES]);
  });

  it("report 1 while the Redis limiter counts in this node's memory because Redis does not answer", async () => {
    const metrics = new NodeMetrics();
    const redis = new RedisConnection("redis://127.0.0.1:1", { commandTimeoutMs: 300, log: () => undefined });
    try {
      const limiter = createRateLimiter(redis, Date.now, "", metrics.rateLimits);
      expect(await limiter.hit(rateLimitKeys.write("7"), 1, 60_000)).to.deep.equal({ allowed: true });
      // The fallback still limits, and the refusal is counted like any other.
      expect(await limiter.hit(rateLimitKeys.write("7"), 1, 60_000)).to.deep.include({ allowed: false });
      const samples = await scrape(metrics);
      expect(samples.get("mosaic_rate_limit_redis_fallback_active")).to.equal(1);
      expect(samples.get('mosaic_rate_limit_rejections_total{limit="write"}')).to.equal(1);
    } finally {
      await redis.close();
    }
  });
});
