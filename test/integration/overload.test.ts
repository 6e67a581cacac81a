import { expect } from "chai";
import { RawConnection, requestHead, type RawResponse } from "../support/raw-http";
import { api, startTestNode, type ErrorBody, type TestNode } from "../support/test-node";

/**
 * Past MAX_IN_FLIGHT API requests a gateway refuses more at once, with 503, the envelope and Retry-After, rather
 * than queueing them behind the others; probes still answer, and places free up as requests end.
 */
describe("the gateway under overload", function () {
  this.timeout(30_000);
  let t: TestNode;
  const held: RawConnection[] = [];

  before(async () => {
    t = await startTestNode({ MAX_IN_FLIGHT: "2", BODY_IDLE_TIMEOUT_MS: "20000" });
  });
  after(async () => {
    for (const c of held) c.destroy();
    await t.stop();
  });

  /** A request whose body never completes: it holds its place until it ends. */
  const holdOne = async () => {
    const c = new RawConnection(t.url);
    held.push(c);
    await c.write(
      requestHead("POST", "/api/auth/login", { "content-type": "application/json", "content-length": 200 }) +
        '{"login":',
    );
    return c;
  };

  it("refuses a request past the bound at once with 503 and Retry-After, then admits again", async () => {
    expect((await api(t.url, "GET", "/api/me")).status, "admitted while places are free").to.equal(401);
    await holdOne();
    await holdOne();
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const refused = await api<ErrorBody>(t.url, "GET", "/api/me");
    expect(Date.now() - started, "refused without waiting for a place").to.be.below(1_000);
    expect(refused.status).to.equal(503);
    expect(refused.body.error.code).to.equal("OVERLOADED");
    expect(refused.headers.get("retry-after")).to.equal("1");
    expect(refused.headers.get("x-content-type-options")).to.equal("nosniff");
    // Probes and metrics are not API requests: an operator still sees the node.
    expect((await api(t.url, "GET", "/health/live")).status).to.equal(200);
    for (const c of held.splice(0)) c.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await api(t.url, "GET", "/api/me")).status, "places free once the requests end").to.equal(401);
  });
});

/**
 * A node answering every request within its turn of the event loop never has two in flight, so the in-flight
 * bound never sees its queue; the queue bound does: once turns stay longer than QUEUE_TARGET_MS for an interval,
 * requests read late in a turn are refused at once. Many connections each send a request at the same moment,
 * round after round, so the node reads each round in one long turn, as a saturated node does (a target of 1 ms
 * and an interval of 300 ms, so that a few rounds are a standing queue here).
 */
describe("the gateway under a standing queue", function () {
  this.timeout(60_000);
  let t: TestNode;
  const connections: RawConnection[] = [];

  before(async () => {
    // No in-flight bound to speak of: only the queue's may refuse here.
    t = await startTestNode({
      QUEUE_TARGET_MS: "1",
      QUEUE_INTERVAL_MS: "300",
      MAX_IN_FLIGHT: "100000",
      ADAPTIVE_LIMIT: "off",
    });
  });
  after(async () => {
    for (const c of connections) c.destroy();
    await t.stop();
  });

  /** Every connection sends one request (all written before the loop turns), then each reads its answer. */
  async function round(): Promise<RawResponse[]> {
    await Promise.all(connections.map((c) => c.write(requestHead("GET", "/api/me", {}))));
    return Promise.all(connections.map((c) => c.response()));
  }

  it("refuses the requests read late in long turns with 503 OVERLOADED and Retry-After, and answers the rest", async () => {
    for (let i = 0; i < 200; i++) connections.push(new RawConnection(t.url));
    const answers: RawResponse[] = [];
    const started = performance.now();
    while (performance.now() - started < 20_000 && !answers.some((a) => a.status === 503)) {
      answers.push(...(await round()));
    }
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.length, "some refused").to.be.above(0);
    for (const a of refused) {
      expect((JSON.parse(a.body) as ErrorBody).error.code).to.equal("OVERLOADED");
      expect(a.headers["retry-after"]).to.equal("1");
    }
    const answered = answers.filter((a) => a.status !== 503);
    expect(answered.length, "some answered").to.be.above(0);
    expect(answered.every((a) => a.status === 401)).to.equal(true);
    // A while without requests ends the queue: the next request is taken.
    await new Promise((r) => setTimeout(r, 400));
    expect((await api(t.url, "GET", "/api/me")).status).to.equal(401);
  });
});

/**
 * The requests one turn of the event loop reads are clients waiting at once, even when each is answered before
 * the next is read (a cached read, an unauthenticated one): they count against MAX_IN_FLIGHT together, until the
 * turn ends. Counted from start to answer alone, a burst of 100 would never have two in flight.
 */
describe("the gateway's in-flight bound under a burst of quick requests", function () {
  this.timeout(60_000);
  let t: TestNode;
  const connections: RawConnection[] = [];

  before(async () => {
    // The queue bound out of the way: only the in-flight bound may refuse here.
    t = await startTestNode({ MAX_IN_FLIGHT: "10", QUEUE_TARGET_MS: "10000", ADAPTIVE_LIMIT: "off" });
  });
  after(async () => {
    for (const c of connections) c.destroy();
    await t.stop();
  });

  it("refuses past the bound within one turn, with 503 OVERLOADED and Retry-After, and takes requests again after it", async () => {
    for (let i = 0; i < 100; i++) connections.push(new RawConnection(t.url));
    const answers: RawResponse[] = [];
    const started = performance.now();
    while (performance.now() - started < 20_000 && !answers.some((a) => a.status === 503)) {
      await Promise.all(connections.map((c) => c.write(requestHead("GET", "/api/me", {}))));
      answers.push(...(await Promise.all(connections.map((c) => c.response()))));
    }
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.length, "some refused").to.be.above(0);
    for (const a of refused) {
      expect((JSON.parse(a.body) as ErrorBody).error.code).to.equal("OVERLOADED");
      expect(a.headers["retry-after"]).to.equal("1");
    }
    expect(answers.filter((a) => a.status === 401).length, "some answered").to.be.above(0);
    expect((await api(t.url, "GET", "/api/me")).status, "one alone is taken").to.equal(401);
  });
});

/**
 * With the defaults, a node nobody sized finds its own bound: a page's burst on a quiet node is taken whole, a
 * standing overload (every answer waiting behind a turn of others) cuts the limit until the rest are refused, and
 * once the node is quiet again its full limit is back.
 */
describe("the gateway's adaptive limit", function () {
  this.timeout(60_000);
  let t: TestNode;
  const connections: RawConnection[] = [];

  before(async () => {
    t = await startTestNode({});
  });
  after(async () => {
    for (const c of connections) c.destroy();
    await t.stop();
  });

  const burst = async (count: number) => {
    const sockets = connections.slice(0, count);
    await Promise.all(sockets.map((c) => c.write(requestHead("GET", "/api/me", {}))));
    return Promise.all(sockets.map((c) => c.response()));
  };
  const gauge = async (name: string) => {
    const text = (await api<string>(t.url, "GET", "/metrics")).text;
    const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return Number(line?.split(" ").at(-1));
  };

  it("takes a burst whole, refuses under a standing overload, and takes bursts whole again once quiet", async () => {
    for (let i = 0; i < 100; i++) connections.push(new RawConnection(t.url));
    const first = await burst(40);
    expect(
      first.map((a) => a.status).filter((s) => s !== 401),
      "a burst on a quiet node",
    ).to.deep.equal([]);
    expect(await gauge("mosaic_http_in_flight_limit")).to.equal(128);

    const answers: RawResponse[] = [];
    const started = performance.now();
    while (performance.now() - started < 20_000 && !answers.some((a) => a.status === 503)) {
      answers.push(...(await burst(100)));
    }
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.length, "some refused").to.be.above(0);
    for (const a of refused) {
      expect((JSON.parse(a.body) as ErrorBody).error.code).to.equal("OVERLOADED");
      expect(a.headers["retry-after"]).to.equal("1");
    }
    expect(await gauge("mosaic_http_in_flight_limit"), "the limit was cut").to.be.below(128);
    expect(await gauge('mosaic_http_refused_total{reason="in_flight"}')).to.be.above(0);

    await new Promise((r) => setTimeout(r, 1_500));
    const after = await burst(40);
    expect(
      after.map((a) => a.status).filter((s) => s !== 401),
      "a burst once quiet again",
    ).to.deep.equal([]);
  });
});
