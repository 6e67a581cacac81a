import { expect } from "chai";
import { MemoryRateLimiter } from "../../../lib/rate-limit/memory";
import { rateLimitKeys } from "../../../lib/rate-limit/rate-limiter";

describe("memory rate limiter", () => {
  it("allows `limit` hits per window, then says when to retry, then resets", async () => {
    let now = 1_000_000;
    const limiter = new MemoryRateLimiter(() => now);
    const key = rateLimitKeys.login("1.2.3.4");
    for (let i = 0; i < 3; i++) expect(await limiter.hit(key, 3, 60_000)).to.deep.equal({ allowed: true });
    now += 20_000;
    expect(await limiter.hit(key, 3, 60_000)).to.deep.equal({ allowed: false, retryAfterSeconds: 40 });
    expect(await limiter.hit(rateLimitKeys.login("5.6.7.8"), 3, 60_000)).to.deep.equal({ allowed: true });
    now += 40_000;
    expect(await limiter.hit(key, 3, 60_000)).to.deep.equal({ allowed: true });
  });

  it("keeps at most maxKeys windows", async () => {
    const limiter = new MemoryRateLimiter(() => 0, 10);
    for (let i = 0; i < 100; i++) await limiter.hit(rateLimitKeys.write(String(i)), 1, 60_000);
    // The oldest windows were dropped to stay bounded, so user 0 is allowed again.
    expect(await limiter.hit(rateLimitKeys.write("0"), 1, 60_000)).to.deep.equal({ allowed: true });
    expect(await limiter.hit(rateLimitKeys.write("99"), 1, 60_000)).to.deep.include({ allowed: false });
  });
});
