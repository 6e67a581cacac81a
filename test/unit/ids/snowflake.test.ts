import { expect } from "chai";

import {
  ClockMovedBackwardsError,
  InvalidIdError,
  MOSAIC_EPOCH_MS,
  SnowflakeGenerator,
  TimestampOutOfRangeError,
  compareIds,
  idAtTime,
  idSequence,
  idTimestamp,
  idWorker,
  isId,
  parseId,
} from "../../../lib/ids";

const T0 = Date.UTC(2026, 5, 15, 12, 0, 0, 123);

/** A clock that only moves when told to, or when the generator sleeps on it. */
function fakeClock(start = T0, options: { asyncSleep?: boolean } = {}) {
  const clock = {
    ms: start,
    slept: 0,
    sleeps: 0,
    now: () => clock.ms,
    sleep: (ms: number): Promise<void> => {
      const advance = () => {
        clock.sleeps++;
        clock.slept += ms;
        clock.ms += ms;
      };
      if (!options.asyncSleep) {
        advance();
        return Promise.resolve();
      }
      // A macrotask, so other callers get to run while one is asleep, as with a real timer.
      return new Promise((resolve) =>
        setImmediate(() => {
          advance();
          resolve();
        }),
      );
    },
  };
  return clock;
}

function expectStrictlyIncreasing(ids: readonly string[]): void {
  for (let i = 1; i < ids.length; i++) {
    if (!(BigInt(ids[i]!) > BigInt(ids[i - 1]!))) {
      expect.fail(`id #${i} ${ids[i]} is not greater than id #${i - 1} ${ids[i - 1]}`);
    }
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  return expect.fail("expected a rejection");
}

describe("ids/snowflake", () => {
  describe("layout", () => {
    it("packs milliseconds since the Mosaic epoch, the worker id and the sequence", async () => {
      const clock = fakeClock();
      const gen = new SnowflakeGenerator({ workerId: 517, now: clock.now, sleep: clock.sleep });
      const first = await gen.next();
      const second = await gen.next();

      const expected = (BigInt(T0 - MOSAIC_EPOCH_MS) << 22n) | (517n << 12n);
      expect(BigInt(first)).to.equal(expected);
      expect(BigInt(second)).to.equal(expected | 1n);
      expect(idTimestamp(first).getTime()).to.equal(T0);
      expect(idWorker(first)).to.equal(517);
      expect(idSequence(first)).to.equal(0);
      expect(idSequence(second)).to.equal(1);
    });

    it("decodes the highest worker id and timestamps near the end of the range", async () => {
      const late = MOSAIC_EPOCH_MS + 2 ** 41 - 1;
      const clock = fakeClock(late);
      const id = await new SnowflakeGenerator({ workerId: 1023, now: clock.now }).next();
      expect(idWorker(id)).to.equal(1023);
      expect(idTimestamp(id).getTime()).to.equal(late);
      expect(BigInt(id) < 2n ** 63n).to.equal(true);
      expect(parseId(id)).to.equal(BigInt(id));
    });

    it("travels as a canonical decimal string", async () => {
      const id = await new SnowflakeGenerator({ workerId: 3 }).next();
      expect(id).to.be.a("string");
      expect(isId(id)).to.equal(true);
      expect(Math.abs(idTimestamp(id).getTime() - Date.now())).to.be.below(5_000);
    });

    it("never issues 0, even for worker 0 in the epoch's first millisecond", async () => {
      const clock = fakeClock(MOSAIC_EPOCH_MS);
      const gen = new SnowflakeGenerator({ workerId: 0, now: clock.now });
      const id = await gen.next();
      expect(id).to.equal("1");
      expect(await gen.next()).to.equal("2");
    });
  });

  describe("next()", () => {
    it("is strictly increasing over 100k ids on the real clock", async () => {
      const gen = new SnowflakeGenerator({ workerId: 42 });
      const ids: string[] = [];
      for (let i = 0; i < 100_000; i++) ids.push(await gen.next());
      expectStrictlyIncreasing(ids);
      expect(ids.every((id) => idWorker(id) === 42)).to.equal(true);
    });

    it("moves to the next millisecond once 4096 ids used up a frozen one", async () => {
      const clock = fakeClock();
      const gen = new SnowflakeGenerator({ workerId: 7, now: clock.now, sleep: clock.sleep });
      const ids: string[] = [];
      for (let i = 0; i < 4096; i++) ids.push(await gen.next());

      expect(clock.slept).to.equal(0);
      expect(ids.map(idSequence)).to.deep.equal([...Array(4096).keys()]);
      expect(ids.every((id) => idTimestamp(id).getTime() === T0)).to.equal(true);

      const overflow = await gen.next();
      expect(clock.slept).to.equal(1);
      expect(idTimestamp(overflow).getTime()).to.equal(T0 + 1);
      expect(idSequence(overflow)).to.equal(0);
      expectStrictlyIncreasing([...ids, overflow]);
    });

    it("waits out a 50 ms backwards step instead of repeating or going back", async () => {
      const clock = fakeClock();
      const gen = new SnowflakeGenerator({ workerId: 9, now: clock.now, sleep: clock.sleep });
      const before = [await gen.next(), await gen.next(), await gen.next()];

      clock.ms -= 50;
      const after = [await gen.next(), await gen.next()];

      expect(clock.slept).to.be.within(50, 52);
      expect(idTimestamp(after[0]!).getTime()).to.be.above(T0);
      expectStrictlyIncreasing([...before, ...after]);
      expect(new Set([...before, ...after]).size).to.equal(5);
    });

    it("keeps waiting when the clock steps back again while it sleeps", async () => {
      const clock = fakeClock();
      let stepBackOnce = true;
      const gen = new SnowflakeGenerator({
        workerId: 9,
        now: clock.now,
        sleep: async (ms) => {
          await clock.sleep(ms);
          if (stepBackOnce) {
            stepBackOnce = false;
            clock.ms -= 30;
          }
        },
      });
      const first = await gen.next();
      clock.ms -= 20;
      const second = await gen.next();
      expect(clock.sleeps).to.equal(2);
      expect(idTimestamp(second).getTime()).to.be.above(T0);
      expectStrictlyIncreasing([first, second]);
    });

    it("throws ClockMovedBackwardsError on a step beyond maxBackwardStepMs instead of hanging", async () => {
      const clock = fakeClock();
      const gen = new SnowflakeGenerator({ workerId: 1, now: clock.now, sleep: clock.sleep });
      const first = await gen.next();

      clock.ms -= 60_000;
      const err = await rejection(gen.next());
      expect(err).to.be.instanceOf(ClockMovedBackwardsError);
      expect((err as ClockMovedBackwardsError).stepMs).to.equal(60_000);
      expect(clock.slept).to.equal(0);

      // Once the clock is back, the generator carries on above everything it issued before.
      clock.ms += 60_000;
      const later = await gen.next();
      expectStrictlyIncreasing([first, later]);
    });

    it("honours a custom maxBackwardStepMs at its boundary", async () => {
      const clock = fakeClock();
      const gen = new SnowflakeGenerator({
        workerId: 1,
        now: clock.now,
        sleep: clock.sleep,
        maxBackwardStepMs: 100,
      });
      await gen.next();
      clock.ms -= 101;
      expect(await rejection(gen.next())).to.be.instanceOf(ClockMovedBackwardsError);

      clock.ms += 1;
      const id = await gen.next();
      expect(clock.slept).to.equal(101);
      expect(idTimestamp(id).getTime()).to.equal(T0 + 1);
    });

    it("gives 10k concurrent callers unique ids in call order, even across exhausted milliseconds", async () => {
      const clock = fakeClock(T0, { asyncSleep: true });
      const gen = new SnowflakeGenerator({ workerId: 5, now: clock.now, sleep: clock.sleep });
      const ids = await Promise.all(Array.from({ length: 10_000 }, () => gen.next()));

      expect(new Set(ids).size).to.equal(10_000);
      expectStrictlyIncreasing(ids);
      // 10k ids need three milliseconds; serialised waiters sleep once per millisecond, not once each.
      expect(idTimestamp(ids.at(-1)!).getTime()).to.equal(T0 + 2);
      expect(clock.sleeps).to.equal(2);
    });

    it("gives 10k concurrent callers unique increasing ids on the real clock", async () => {
      const gen = new SnowflakeGenerator({ workerId: 6 });
      const ids = await Promise.all(Array.from({ length: 10_000 }, () => gen.next()));
      expect(new Set(ids).size).to.equal(10_000);
      expectStrictlyIncreasing(ids);
    });

    it("lets a caller that failed on the clock not block the callers queued behind it", async () => {
      const clock = fakeClock();
      const gen = new SnowflakeGenerator({ workerId: 2, now: clock.now, sleep: clock.sleep });
      const head = await gen.next();
      clock.ms -= 10_000;
      const results = await Promise.allSettled([gen.next(), gen.next()]);
      expect(results.map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);

      clock.ms += 10_000;
      expectStrictlyIncreasing([head, await gen.next()]);
    });

    it("never collides across generators with different worker ids on the same clock", async () => {
      const clock = fakeClock();
      const a = new SnowflakeGenerator({ workerId: 10, now: clock.now, sleep: clock.sleep });
      const b = new SnowflakeGenerator({ workerId: 11, now: clock.now, sleep: clock.sleep });
      const fromA: string[] = [];
      const fromB: string[] = [];
      for (let i = 0; i < 5_000; i++) {
        fromA.push(await a.next());
        fromB.push(await b.next());
      }
      const all = new Set([...fromA, ...fromB]);
      expect(all.size).to.equal(10_000);
      expect(fromA.every((id) => idWorker(id) === 10)).to.equal(true);
      expect(fromB.every((id) => idWorker(id) === 11)).to.equal(true);
    });
  });

  describe("nextSync()", () => {
    it("answers undefined when it would have to wait, and next() still delivers", async () => {
      const clock = fakeClock();
      const gen = new SnowflakeGenerator({ workerId: 4, now: clock.now, sleep: clock.sleep });
      for (let i = 0; i < 4096; i++) expect(gen.nextSync()).to.be.a("string");
      expect(gen.nextSync()).to.equal(undefined);
      const id = await gen.next();
      expect(idTimestamp(id).getTime()).to.equal(T0 + 1);
    });

    it("does not overtake callers of next() that are waiting", () => {
      const clock = fakeClock(T0, { asyncSleep: true });
      const gen = new SnowflakeGenerator({ workerId: 4, now: clock.now, sleep: clock.sleep });
      clock.ms += 1;
      gen.nextSync();
      clock.ms -= 1;
      const waiting = gen.next();
      clock.ms += 5;
      expect(gen.nextSync()).to.equal(undefined);
      return waiting;
    });
  });

  describe("validation", () => {
    for (const workerId of [-1, 1024, 1.5, Number.NaN]) {
      it(`rejects workerId ${workerId}`, () => {
        expect(() => new SnowflakeGenerator({ workerId })).to.throw(RangeError, /workerId/);
      });
    }

    it("rejects a negative maxBackwardStepMs", () => {
      expect(() => new SnowflakeGenerator({ workerId: 0, maxBackwardStepMs: -1 })).to.throw(RangeError);
    });

    it("refuses times outside the 41-bit range", async () => {
      const tooLate = new SnowflakeGenerator({ workerId: 0, now: () => MOSAIC_EPOCH_MS + 2 ** 41 });
      expect(await rejection(tooLate.next())).to.be.instanceOf(TimestampOutOfRangeError);
      const tooEarly = new SnowflakeGenerator({ workerId: 0, now: () => MOSAIC_EPOCH_MS - 1 });
      expect(await rejection(tooEarly.next())).to.be.instanceOf(TimestampOutOfRangeError);
      expect(() => idAtTime(Date.UTC(2095, 0, 1))).to.throw(TimestampOutOfRangeError, /2094/);
    });
  });

  describe("parseId / isId", () => {
    const rejected = ["", "0", "-1", "01", "1e3", " 1", "1 ", "+1", "1.0", "0x10", "9223372036854775808"];
    rejected.push("1".repeat(20), "9".repeat(19));
    for (const s of rejected) {
      it(`rejects ${JSON.stringify(s)}`, () => {
        expect(() => parseId(s)).to.throw(InvalidIdError);
        expect(isId(s)).to.equal(false);
      });
    }

    it("accepts 1 and 2^63-1", () => {
      expect(parseId("1")).to.equal(1n);
      expect(parseId("9223372036854775807")).to.equal(2n ** 63n - 1n);
      expect(isId("9223372036854775807")).to.equal(true);
    });

    it("is false for non-strings", () => {
      for (const v of [1, 1n, null, undefined, {}, ["1"]]) expect(isId(v)).to.equal(false);
    });

    it("makes the decoders reject non-ids", () => {
      expect(() => idTimestamp("01")).to.throw(InvalidIdError);
      expect(() => idWorker("abc")).to.throw(InvalidIdError);
      expect(() => compareIds("1", "")).to.throw(InvalidIdError);
    });
  });

  describe("compareIds", () => {
    it("compares numerically, not lexicographically", () => {
      expect(compareIds("9", "10")).to.equal(-1);
      expect(compareIds("10", "9")).to.equal(1);
      expect(compareIds("123", "123")).to.equal(0);
      expect(compareIds("9223372036854775806", "9223372036854775807")).to.equal(-1);
      expect(["100", "20", "3", "1000"].sort(compareIds)).to.deep.equal(["3", "20", "100", "1000"]);
    });

    it("agrees with BigInt order on random ids of every length, and refuses what is not an id", () => {
      for (let i = 0; i < 2_000; i++) {
        const digits = () =>
          String(BigInt(Math.floor(Math.random() * 2 ** 52)) * BigInt(1 + (i % 2_000_000)));
        const [a, b] = [digits(), digits()];
        const expected = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
        if (isId(a) && isId(b)) expect(compareIds(a, b), `${a} vs ${b}`).to.equal(expected);
      }
      for (const bad of ["0", "01", "-1", "1.5", "9223372036854775808", "99999999999999999999", " 1", "1a"]) {
        expect(() => compareIds("1", bad), bad).to.throw(InvalidIdError);
        expect(() => compareIds(bad, "1"), bad).to.throw(InvalidIdError);
      }
    });
  });

  describe("idAtTime", () => {
    it("bounds the ids of a millisecond from below", async () => {
      const clock = fakeClock();
      const gen = new SnowflakeGenerator({ workerId: 0, now: clock.now });
      const first = await gen.next();
      clock.ms += 1;
      const next = await gen.next();

      expect(idAtTime(T0)).to.equal(first);
      expect(compareIds(idAtTime(T0 + 1), first)).to.equal(1);
      expect(idAtTime(T0 + 1)).to.equal(next);
      expect(compareIds(idAtTime(T0 + 1), next)).to.equal(0);
      expect(idTimestamp(idAtTime(T0)).getTime()).to.equal(T0);

      const otherWorker = await new SnowflakeGenerator({ workerId: 1023, now: () => T0 }).next();
      expect(compareIds(idAtTime(T0), otherWorker)).to.equal(-1);
      expect(compareIds(otherWorker, idAtTime(T0 + 1))).to.equal(-1);
    });

    it("is a valid id even at the epoch itself", () => {
      expect(idAtTime(MOSAIC_EPOCH_MS)).to.equal("1");
      expect(isId(idAtTime(MOSAIC_EPOCH_MS))).to.equal(true);
    });
  });
});
