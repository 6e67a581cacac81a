import { MemoryRateLimiter } from "../../../lib/rate-limit/memory";
import { describeRateLimiterContract } from "./contract";

describeRateLimiterContract("MemoryRateLimiter", () => {
  let now = 1_000_000;
  const limiter = new MemoryRateLimiter(() => now);
  return {
    limiter,
    // One process has nothing to share: the second gateway node of this adapter is the same one.
    peer: limiter,
    elapse: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
});
