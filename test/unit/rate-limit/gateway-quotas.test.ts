import { expect } from "chai";
import { loadConfig } from "../../../config";
import { RateLimitedError } from "../../../lib/errors";
import { MemoryRateLimiter } from "../../../lib/rate-limit/memory";
import { GatewayRateLimits } from "../../../services/gateway/rate-limits";

describe("GatewayRateLimits.checkQuota", () => {
  const limitsWith = (env: Record<string, string>) =>
    new GatewayRateLimits(new MemoryRateLimiter(() => 0), loadConfig(env).rateLimits);

  it("spends the named quota of that user, and refuses past it with 429 and a retry within the hour", async () => {
    const limits = limitsWith({ QUOTA_LIKES_PER_HOUR: "2", QUOTA_COMMENTS_PER_HOUR: "1" });
    await limits.checkQuota("likes", "u1");
    await limits.checkQuota("likes", "u1");
    const refusal = await limits.checkQuota("likes", "u1").catch((err: unknown) => err);
    expect(refusal).to.be.instanceOf(RateLimitedError);
    expect((refusal as RateLimitedError).status).to.equal(429);
    expect((refusal as RateLimitedError).retryAfterSeconds).to.equal(3600);
    await limits.checkQuota("likes", "u2");
    await limits.checkQuota("comments", "u1");
    expect(await limits.checkQuota("comments", "u1").catch((err: unknown) => err)).to.be.instanceOf(
      RateLimitedError,
    );
  });

  it("is lifted by RATE_LIMITS=off", async () => {
    const limits = limitsWith({ RATE_LIMITS: "off", QUOTA_POSTS_PER_HOUR: "1" });
    for (let i = 0; i < 5; i++) await limits.checkQuota("posts", "u1");
  });
});
