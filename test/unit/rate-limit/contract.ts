import { randomBytes } from "node:crypto";
import { expect } from "chai";
import {
  QUOTA_NAMES,
  rateLimitKeys,
  type RateLimiter,
  type RateLimitKey,
} from "../../../lib/rate-limit/rate-limiter";

/** What the contract needs of an adapter under test. */
export interface RateLimiterSubject {
  limiter: RateLimiter;
  /** A second limiter sharing the first one's counts: another gateway node (the same one where nothing is shared). */
  peer: RateLimiter;
  /** Lets `ms` pass for the limiter: a clock moved by hand, or a real wait. */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** The behaviour every rate limiter must show (memory here, Redis in test:infra). */
export function describeRateLimiterContract(name: string, make: () => RateLimiterSubject): void {
  describe(`RateLimiter contract: ${name}`, () => {
    let subject: RateLimiterSubject;
    const key = (): RateLimitKey => rateLimitKeys.write(randomBytes(6).toString("hex"));
    beforeEach(() => {
      subject = make();
    });
    afterEach(async () => {
      await subject.close();
    });

    it("allows up to the limit, then refuses with a positive Retry-After within the window", async () => {
      const k = key();
      for (let i = 0; i < 3; i++) {
        expect(await subject.limiter.hit(k, 3, 60_000), `hit ${i + 1}`).to.deep.equal({ allowed: true });
      }
      const refused = await subject.limiter.hit(k, 3, 60_000);
      expect(refused.allowed).to.equal(false);
      const retryAfter = refused.allowed ? 0 : refused.retryAfterSeconds;
      expect(retryAfter).to.be.within(1, 60);
      expect(Number.isInteger(retryAfter)).to.equal(true);
    });

    it("opens a new window once the old one is over", async () => {
      const k = key();
      expect(await subject.limiter.hit(k, 1, 300)).to.deep.equal({ allowed: true });
      expect(await subject.limiter.hit(k, 1, 300)).to.deep.include({ allowed: false, retryAfterSeconds: 1 });
      await subject.elapse(450);
      expect(await subject.limiter.hit(k, 1, 300)).to.deep.equal({ allowed: true });
      expect((await subject.limiter.hit(k, 1, 300)).allowed).to.equal(false);
    });

    it("keeps keys apart: another user, another limit, another quota", async () => {
      const user = randomBytes(6).toString("hex");
      const own = rateLimitKeys.quota("likes", user);
      expect(await subject.limiter.hit(own, 1, 60_000)).to.deep.equal({ allowed: true });
      expect((await subject.limiter.hit(own, 1, 60_000)).allowed).to.equal(false);
      const others: RateLimitKey[] = [
        rateLimitKeys.write(user),
        rateLimitKeys.quota("likes", `${user}x`),
        ...QUOTA_NAMES.filter((q) => q !== "likes").map((q) => rateLimitKeys.quota(q, user)),
      ];
      for (const other of others) {
        expect(await subject.limiter.hit(other, 1, 60_000), other).to.deep.equal({ allowed: true });
      }
    });

    it("allows exactly `limit` of 50 concurrent hits, spread over two nodes", async () => {
      const k = key();
      const verdicts = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? subject.limiter : subject.peer).hit(k, 20, 60_000),
        ),
      );
      expect(verdicts.filter((v) => v.allowed)).to.have.length(20);
      expect(verdicts.filter((v) => !v.allowed)).to.have.length(30);
    });
  });
}
