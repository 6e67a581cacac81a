import { expect } from "chai";
import { NodeLifecycle } from "../../../broker/lifecycle";
import type { ReadinessReport } from "../../../lib/health/readiness";

const healthy: ReadinessReport = {
  ready: true,
  checks: { broker: true, transporter: true },
  missing: [],
  degraded: ["redis"],
};
const failing: ReadinessReport = {
  ready: false,
  checks: { broker: true, store: false },
  missing: ["store"],
  degraded: [],
};

describe("NodeLifecycle", () => {
  it("passes readiness through while serving", async () => {
    const lifecycle = new NodeLifecycle();
    expect(await lifecycle.readiness(() => Promise.resolve(healthy))()).to.deep.equal(healthy);
    expect(await lifecycle.readiness(() => Promise.resolve(failing))()).to.deep.equal(failing);
  });

  it("is never ready once draining or closing, saying why first and keeping the dependencies' report", async () => {
    for (const phase of ["draining", "closing"] as const) {
      const lifecycle = new NodeLifecycle();
      const ready = lifecycle.readiness(() => Promise.resolve(healthy));
      lifecycle.enter(phase);
      expect(await ready(), phase).to.deep.equal({ ...healthy, ready: false, missing: ["draining"] });
      expect(await lifecycle.readiness(() => Promise.resolve(failing))(), phase).to.deep.equal({
        ...failing,
        missing: ["draining", "store"],
      });
    }
  });

  it("only moves forward: a drain asked for while closing leaves it closing", () => {
    const lifecycle = new NodeLifecycle();
    lifecycle.enter("draining");
    expect(lifecycle.phase).to.equal("draining");
    lifecycle.enter("closing");
    lifecycle.enter("draining");
    expect(lifecycle.phase).to.equal("closing");
  });
});
