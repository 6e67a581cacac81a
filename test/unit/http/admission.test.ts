import { expect } from "chai";
import { AdaptiveLimit } from "../../../lib/http/adaptive-limit";
import { Admission, type AdmissionOptions, type Refusal, type Ticket } from "../../../lib/http/admission";

const refusal = (answer: Refusal | Ticket): Refusal | undefined =>
  typeof answer === "string" ? answer : undefined;

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
      const answer = admission.tryEnter();
      clock += eachMs;
      if (typeof answer !== "string") admission.leave(answer);
      return refusal(answer);
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
    const first = admission.tryEnter();
    expect([refusal(first), refusal(admission.tryEnter()), refusal(admission.tryEnter())]).to.deep.equal([
      undefined,
      undefined,
      "in-flight",
    ]);
    endTurn();
    // Answered in a later turn (it waited for the store): its place is free at once.
    if (typeof first === "string") throw new Error("refused");
    admission.leave(first);
    expect(refusal(admission.tryEnter())).to.equal(undefined);
    expect(admission.refused).to.equal(1);
    endTurn();
  });

  it("counts the requests one turn reads together, even those answered within it (clients waiting at once)", () => {
    const h = harness({ maxInFlight: 3 });
    // Each answered before the next is read, as a cached read is: a count from start to answer would stay at 1.
    expect(h.turn(5, 0.1)).to.deep.equal([undefined, undefined, undefined, "in-flight", "in-flight"]);
    // The places come back when the turn ends.
    expect(h.admission.current).to.equal(0);
    expect(h.turn(3, 0.1)).to.deep.equal([undefined, undefined, undefined]);
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

  it("bounds by the adaptive limit under maxInFlight, teaching it each answer's time from the start of its turn", () => {
    let clock = 0;
    let turnEnd: (() => void) | undefined;
    // 10 in flight at once: a crowd for a limit of 64 (an eighth of it at least).
    const adaptive = new AdaptiveLimit({
      max: 64,
      min: 2,
      tolerance: 2,
      windowMs: 100,
      sustainMs: 300,
      minDoublingMs: 60_000,
      maxRoutes: 10,
      now: () => clock,
      loopBusy: () => 1,
    });
    const admission = new Admission({
      maxInFlight: 64,
      adaptive,
      targetMs: 10_000,
      intervalMs: 100,
      now: () => clock,
      afterTurn: (callback) => (turnEnd = callback),
    });
    /** A turn reading 10 requests, each answered 1 ms after it is read: the last waited 10 ms in all. */
    const turn = () => {
      const refusals = Array.from({ length: 10 }, () => {
        const ticket = admission.tryEnter();
        clock += 1;
        if (typeof ticket === "string") return ticket;
        admission.leave(ticket, { route: "GET /api/me", status: 200 });
        return undefined;
      });
      turnEnd?.();
      return refusals;
    };
    expect(
      turn().every((r) => r === undefined),
      "a burst is taken",
    ).to.equal(true);
    for (let i = 0; i < 80; i++) turn();
    expect(admission.bound).to.be.below(10);
    const refusals = turn();
    expect(refusals.slice(0, admission.bound).every((r) => r === undefined)).to.equal(true);
    expect(refusals.slice(admission.bound).every((r) => r === "in-flight")).to.equal(true);
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
