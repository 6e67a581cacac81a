import { expect } from "chai";
import { CircuitBreaker } from "../../../lib/redis/breaker";
import { ManualClock } from "../../support/test-node";

/** A probe the test answers by hand. */
class Probes {
  started = 0;
  private pending: { resolve: () => void; reject: (err: Error) => void }[] = [];
  readonly probe = (): Promise<void> => {
    this.started++;
    return new Promise<void>((resolve, reject) => this.pending.push({ resolve, reject }));
  };
  async succeed(): Promise<void> {
    this.pending.shift()?.resolve();
    await settle();
  }
  async fail(): Promise<void> {
    this.pending.shift()?.reject(new Error("still down"));
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const down = () => Promise.reject(new Error("ECONNREFUSED"));
const timedOut = () => Promise.reject(new Error("Command timed out"));

describe("CircuitBreaker", () => {
  let clock: ManualClock;
  let probes: Probes;
  let changes: boolean[];
  let breaker: CircuitBreaker;
  /** Calls made to the dependency itself (not fallbacks). */
  let calls: number;
  const call = (result: () => Promise<string> = () => Promise.resolve("redis")) =>
    breaker.run(
      () => {
        calls++;
        return result();
      },
      () => "fallback",
    );

  beforeEach(() => {
    clock = new ManualClock(0);
    probes = new Probes();
    changes = [];
    calls = 0;
    breaker = new CircuitBreaker(probes.probe, {
      failureThreshold: 3,
      probeIntervalMs: 2_000,
      now: clock.now,
      opensAtOnce: (err) => err instanceof Error && err.message.includes("timed out"),
      onChange: (available) => changes.push(available),
    });
  });

  it("passes calls through while closed, and only consecutive failures count", async () => {
    expect(await call()).to.equal("redis");
    expect(await call(down)).to.equal("fallback");
    expect(await call(down)).to.equal("fallback");
    expect(await call()).to.equal("redis");
    expect(await call(down)).to.equal("fallback");
    expect(await call(down)).to.equal("fallback");
    expect(breaker.state).to.equal("closed");
    expect(calls).to.equal(6);
    expect(changes).to.deep.equal([]);
  });

  it("opens after the third failure in a row, then answers the fallback without calling", async () => {
    for (let i = 0; i < 3; i++) await call(down);
    expect(breaker.state).to.equal("open");
    expect(changes).to.deep.equal([false]);
    calls = 0;
    for (let i = 0; i < 100; i++) expect(await call()).to.equal("fallback");
    expect(calls).to.equal(0);
    expect(probes.started, "no probe before the interval").to.equal(0);
  });

  it("opens at the first timeout: a request already paid the whole wait", async () => {
    expect(await call(timedOut)).to.equal("fallback");
    expect(breaker.state).to.equal("open");
    expect(changes).to.deep.equal([false]);
  });

  it("opens when the client reports a lost connection, without a request failing first", () => {
    breaker.recordFailure(new Error("the connection closed"), true);
    expect(breaker.state).to.equal("open");
    expect(changes).to.deep.equal([false]);
  });

  it("probes once per interval, one at a time, with its own probe rather than a caller's request", async () => {
    await call(timedOut);
    clock.advance(1_999);
    await call();
    breaker.poll();
    expect(probes.started).to.equal(0);

    clock.advance(1);
    expect(await call()).to.equal("fallback");
    expect(probes.started).to.equal(1);
    expect(breaker.state).to.equal("half-open");
    // While the probe is out, callers still fall back and no second probe starts, however late it gets.
    clock.advance(10_000);
    for (let i = 0; i < 10; i++) expect(await call()).to.equal("fallback");
    breaker.poll();
    expect(probes.started).to.equal(1);
    expect(calls).to.equal(1);

    await probes.fail();
    expect(breaker.state).to.equal("open");
    expect(changes, "a failed probe is no new transition").to.deep.equal([false]);
    clock.advance(1_999);
    breaker.poll();
    expect(probes.started).to.equal(1);
    clock.advance(1);
    breaker.poll();
    expect(probes.started).to.equal(2);
  });

  it("closes when a probe succeeds, and calls go through again", async () => {
    for (let i = 0; i < 3; i++) await call(down);
    clock.advance(2_000);
    breaker.poll();
    await probes.succeed();
    expect(breaker.state).to.equal("closed");
    expect(changes).to.deep.equal([false, true]);
    calls = 0;
    expect(await call()).to.equal("redis");
    expect(calls).to.equal(1);
    // Failures are counted afresh after closing.
    await call(down);
    await call(down);
    expect(breaker.state).to.equal("closed");
  });

  it("probes at once when told the connection is back", async () => {
    await call(timedOut);
    breaker.probeNow();
    expect(probes.started).to.equal(1);
    await probes.succeed();
    expect(breaker.state).to.equal("closed");
  });

  it("is not closed by a late answer to a call made before it opened", async () => {
    let answer: (value: string) => void = () => undefined;
    const slow = call(() => new Promise<string>((resolve) => (answer = resolve)));
    breaker.recordFailure(new Error("the connection closed"), true);
    answer("redis");
    expect(await slow).to.equal("redis");
    expect(breaker.state).to.equal("open");
    expect(await call()).to.equal("fallback");
  });
});
