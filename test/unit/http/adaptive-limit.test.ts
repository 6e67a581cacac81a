import { expect } from "chai";
import { AdaptiveLimit, type AdaptiveLimitOptions } from "../../../lib/http/adaptive-limit";

/** A limit on a clock the test moves: 100 ms windows, cut after 300 ms over a tolerance of 2. */
function harness(options: Partial<AdaptiveLimitOptions> = {}) {
  let clock = 0;
  const limit = new AdaptiveLimit({
    max: 128,
    min: 2,
    tolerance: 2,
    windowMs: 100,
    sustainMs: 300,
    minDoublingMs: 60_000,
    maxRoutes: 100,
    now: () => clock,
    loopBusy: () => 1,
    ...options,
  });
  /**
   * One window of answers of `route`, `ms` each, with company, `inFlight` at once (by default the limit: met);
   * ends past the window.
   */
  const window = (route: string, ms: number, count = 10, inFlight?: number) => {
    for (let i = 0; i < count; i++) {
      const met = limit.limit;
      clock += 100 / count;
      limit.inFlight(inFlight ?? met);
      limit.observe(route, ms, true);
    }
  };
  const advance = (ms: number) => {
    clock += ms;
  };
  return { limit, window, advance };
}

describe("AdaptiveLimit", () => {
  it("keeps its limit while answers take their time at rest", () => {
    const { limit, window } = harness();
    limit.observe("GET /api/me 2xx", 0.2, false);
    for (let i = 0; i < 20; i++) window("GET /api/me 2xx", 0.3);
    expect(limit.limit).to.equal(128);
  });

  it("cuts the limit once answers stay slower than the tolerance for the sustain time, in proportion, by half at most", () => {
    const { limit, window } = harness();
    limit.observe("GET /api/me 2xx", 0.2, false);
    window("GET /api/me 2xx", 2);
    window("GET /api/me 2xx", 2);
    expect(limit.limit, "a burst shorter than the sustain time is not cut").to.equal(128);
    window("GET /api/me 2xx", 2);
    expect(limit.limit, "10× slow: halved").to.equal(64);
    window("GET /api/me 2xx", 0.5);
    expect(limit.limit, "2.5× slow: cut by 2/2.5").to.equal(51);
    for (let i = 0; i < 20; i++) window("GET /api/me 2xx", 4);
    expect(limit.limit, "never under the floor").to.equal(2);
  });

  it("compares each answer with its own route: a slow route at its own pace cuts nothing", () => {
    const { limit, window } = harness();
    limit.observe("GET /api/me 2xx", 0.2, false);
    limit.observe("GET /api/feed 2xx", 8, false);
    for (let i = 0; i < 10; i++) {
      window("GET /api/me 2xx", 0.3, 5);
      window("GET /api/feed 2xx", 9, 5);
    }
    expect(limit.limit).to.equal(128);
  });

  it("does not count an answer that had no company: it waited behind nothing", () => {
    const { limit, advance } = harness();
    limit.observe("GET /api/feed 2xx", 2, false);
    for (let i = 0; i < 100; i++) {
      advance(10);
      limit.inFlight(limit.limit);
      limit.observe("GET /api/feed 2xx", 40, false);
    }
    expect(limit.limit).to.equal(128);
  });

  it("is not cut while the event loop idles: slow answers then wait on other nodes, not on this one", () => {
    let busy = 0.3;
    const { limit, window } = harness({ loopBusy: () => busy });
    limit.observe("GET /api/feed 2xx", 2, false);
    for (let i = 0; i < 20; i++) window("GET /api/feed 2xx", 40);
    expect(limit.limit).to.equal(128);
    busy = 0.95;
    for (let i = 0; i < 3; i++) window("GET /api/feed 2xx", 40);
    expect(limit.limit).to.equal(64);
  });

  it("is not cut for slow answers without a crowd in flight: an eighth of the limit at least", () => {
    const { limit, window } = harness();
    limit.observe("GET /api/me 2xx", 0.2, false);
    // A node busy with something else (a transcode): answers 10× slower, 15 in flight against a limit of 128.
    for (let i = 0; i < 20; i++) window("GET /api/me 2xx", 2, 10, 15);
    expect(limit.limit).to.equal(128);
    // 16 in flight: a crowd.
    for (let i = 0; i < 3; i++) window("GET /api/me 2xx", 2, 10, 16);
    expect(limit.limit).to.equal(64);
  });

  it("probes a limit that was met one higher once per sustain time while answers are fast, and keeps one not met", () => {
    const { limit, window } = harness();
    limit.observe("GET /api/me 2xx", 0.2, false);
    for (let i = 0; i < 8; i++) window("GET /api/me 2xx", 3);
    const cut = limit.limit;
    expect(cut).to.equal(2);
    const met = [1, 2, 3, 4, 5, 6].map(() => {
      window("GET /api/me 2xx", 0.3);
      return limit.limit;
    });
    // Cut at 800 ms: probed at 1,100 and 1,400 ms.
    expect(met).to.deep.equal([2, 2, 3, 3, 3, 4]);
    window("GET /api/me 2xx", 0.3, 10, 1);
    window("GET /api/me 2xx", 0.3, 10, 1);
    window("GET /api/me 2xx", 0.3, 10, 1);
    expect(limit.limit, "not met: kept").to.equal(4);
  });

  it("cuts again at once while it is under its maximum (an overload under way)", () => {
    const { limit, window } = harness();
    limit.observe("GET /api/me 2xx", 0.2, false);
    for (let i = 0; i < 4; i++) window("GET /api/me 2xx", 3);
    expect(limit.limit).to.equal(32);
    window("GET /api/me 2xx", 0.3);
    window("GET /api/me 2xx", 0.3);
    window("GET /api/me 2xx", 0.3);
    expect(limit.limit, "probed once").to.equal(33);
    window("GET /api/me 2xx", 3);
    expect(limit.limit, "one slow window").to.equal(16);
  });

  it("takes its full limit back once the node is quiet", () => {
    const { limit, window, advance } = harness();
    limit.observe("GET /api/me 2xx", 0.2, false);
    for (let i = 0; i < 12; i++) window("GET /api/me 2xx", 3);
    expect(limit.limit).to.equal(2);
    // The last slow answers of the overload, in a window the pause leaves open.
    for (let i = 0; i < 5; i++) limit.observe("GET /api/me 2xx", 3, true);
    advance(5_000);
    // Before any answer: the first requests after the pause are taken against the full limit.
    expect(limit.limit).to.equal(128);
  });

  it("forgets a route's fastest answer slowly, so a route grown slower for good stops cutting the limit", () => {
    const { limit, window, advance } = harness({ minDoublingMs: 1_000 });
    limit.observe("GET /api/feed 2xx", 1, false);
    advance(3_000);
    // The fastest answer is now taken as 8 ms: answers of 10 ms are within the tolerance.
    for (let i = 0; i < 10; i++) window("GET /api/feed 2xx", 10);
    expect(limit.limit).to.equal(128);
    // A fresh fast answer sets the pace again at once.
    limit.observe("GET /api/feed 2xx", 1, false);
    for (let i = 0; i < 5; i++) window("GET /api/feed 2xx", 10);
    expect(limit.limit).to.be.below(128);
  });
});
