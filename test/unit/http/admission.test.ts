import { expect } from "chai";
import { Admission, type AdmissionOptions } from "../../../lib/http/admission";

/** An admission on a clock the test moves, whose turns end when the test says. */
function harness(options: Partial<AdmissionOptions> = {}) {
  let clock = 0;
  let pendingTurnEnd: (() => void) | undefined;
  const admission = new Admission({
    maxInFlight: 100,
    targetMs: 5,
    intervalMs: 100,
    now: () => clock,
    afterTurn: (callback) => {
      expect(pendingTurnEnd, "one turn end scheduled at a time").to.equal(undefined);
      pendingTurnEnd = callback;
    },
    ...options,
  });
  const endTurn = () => {
    const callback = pendingTurnEnd;
    pendingTurnEnd = undefined;
    callback?.();
  };
  /** One turn reading `count` requests, each taking `eachMs` of the loop; answers the refusals, in order. */
  const turn = (count: number, eachMs: number) => {
    const answers = Array.from({ length: count }, () => {
      const refusal = admission.tryEnter();
      clock += eachMs;
      if (refusal === undefined) admission.leave();
      return refusal;
    });
    endTurn();
    return answers;
  };
  const advance = (ms: number) => {
    clock += ms;
  };
  return { admission, endTurn, turn, advance };
}

describe("Admission", () => {
  it("refuses past the in-flight bound and takes again once one leaves", () => {
    const { admission, endTurn } = harness({ maxInFlight: 2 });
    expect([admission.tryEnter(), admission.tryEnter(), admission.tryEnter()]).to.deep.equal([
      undefined,
      undefined,
      "in-flight",
    ]);
    admission.leave();
    expect(admission.tryEnter()).to.equal(undefined);
    expect(admission.refused).to.equal(1);
    endTurn();
  });

  it("lets a burst through: long turns shorter than the interval refuse nothing", () => {
    const h = harness();
    // Four turns of 20 requests at 1 ms: 20 ms each, 80 ms in all, the interval not yet over.
    for (let i = 0; i < 4; i++) expect(h.turn(20, 1).every((r) => r === undefined)).to.equal(true);
    expect(h.admission.refused).to.equal(0);
  });

  it("under a standing queue, refuses the requests read later than the target into a turn, and only those", () => {
    const h = harness();
    for (let i = 0; i < 6; i++) h.turn(20, 1); // 120 ms of 20 ms turns
    const answers = h.turn(20, 1);
    // Read at 0, 1, … 19 ms into the turn: those at 0–5 ms are taken, the rest refused.
    expect(answers.slice(0, 6).every((r) => r === undefined)).to.equal(true);
    expect(answers.slice(6).every((r) => r === "queue")).to.equal(true);
  });

  it("ends the refusals with the first turn under the target", () => {
    const h = harness();
    for (let i = 0; i < 7; i++) h.turn(20, 1);
    expect(h.turn(3, 1).every((r) => r === undefined)).to.equal(true); // 3 ms: under the target
    expect(h.turn(20, 1).every((r) => r === undefined)).to.equal(true); // the queue must stand again first
  });

  it("counts neither an idle gap nor one long turn as a standing queue", () => {
    const h = harness();
    // One slow turn, a minute of nothing, then a burst in one long turn: nothing refused.
    h.turn(20, 10);
    h.advance(60_000);
    expect(h.turn(30, 1).every((r) => r === undefined)).to.equal(true);
    // One turn of a whole second (a pause of the process) is over the target once, not for an interval.
    h.advance(60_000);
    h.turn(1, 1_000);
    expect(h.turn(30, 1).every((r) => r === undefined)).to.equal(true);
  });

  it("schedules nothing while no request arrives", () => {
    let scheduled = 0;
    const admission = new Admission({
      maxInFlight: 1,
      targetMs: 5,
      intervalMs: 100,
      afterTurn: () => scheduled++,
    });
    expect(scheduled).to.equal(0);
    admission.tryEnter();
    admission.tryEnter();
    expect(scheduled).to.equal(1);
  });
});
