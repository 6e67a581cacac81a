import { expect } from "chai";
import { Admission } from "../../../lib/http/admission";

/** A clock and an event loop the test drives: each window, `latencyMs` per answer and the loop `busy` share. */
function harness(max: number) {
  let now = 0;
  let busy = 0;
  const admission = new Admission({ max, min: 2, tolerance: 1.5, now: () => now, busy: () => busy });
  /** One 250 ms window of answers, `inFlight` at a time, each taking `latencyMs`. */
  const window = (latencyMs: number, inFlight: number, loopBusy: number) => {
    busy = loopBusy;
    for (let answered = 0; answered < 32; answered += inFlight) {
      const entered: number[] = [];
      for (let i = 0; i < inFlight; i++) {
        const at = admission.enter();
        if (at !== undefined) entered.push(at);
      }
      now += latencyMs;
      for (const at of entered) admission.leave(at);
    }
    now += 250;
    admission.leave(admission.enter() ?? now);
  };
  return { admission, window };
}

describe("Admission: an adaptive bound on requests in flight", () => {
  it("refuses past the bound at once, and frees a place on leave", () => {
    const admission = new Admission({ max: 2, busy: () => 0 });
    const a = admission.enter();
    const b = admission.enter();
    expect([a, b].every((t) => t !== undefined)).to.equal(true);
    expect(admission.enter()).to.equal(undefined);
    expect(admission.refused).to.equal(1);
    admission.leave(a ?? 0);
    expect(admission.enter()).to.not.equal(undefined);
  });

  it("lowers the bound while a busy node answers slower than at rest, at most halving it per window", () => {
    const { admission, window } = harness(128);
    for (let i = 0; i < 4; i++) window(1, 1, 0.1); // at rest: 1 ms answers
    expect(admission.limit).to.equal(128);
    window(6, 16, 1); // overloaded: 6 ms, loop saturated
    expect(admission.limit).to.equal(64);
    for (let i = 0; i < 10; i++) window(6, 16, 1);
    expect(admission.limit).to.equal(2);
  });

  it("keeps the bound when answers are slow but the loop is idle (a slow backend, not this node)", () => {
    const { admission, window } = harness(128);
    for (let i = 0; i < 4; i++) window(1, 1, 0.1);
    for (let i = 0; i < 5; i++) window(6, 16, 0.3);
    expect(admission.limit).to.equal(128);
  });

  it("raises the bound again by √limit once answers are fast and the bound is reached", () => {
    const { admission, window } = harness(128);
    for (let i = 0; i < 4; i++) window(1, 1, 0.1);
    for (let i = 0; i < 10; i++) window(6, 16, 1);
    expect(admission.limit).to.equal(2);
    window(1, 2, 1);
    expect(admission.limit).to.equal(3); // 2 + √2
    window(1, 1, 0.2); // the bound not reached: nothing learnt about more
    expect(admission.limit).to.equal(3);
  });
});
