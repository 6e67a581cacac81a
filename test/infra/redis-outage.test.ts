import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import Redis from "ioredis";
import { createPost } from "../support/media";
import { PrivateServer } from "../support/private-server";
import { api, signup, startTestNode, type Account, type TestNode } from "../support/test-node";

/** The Redis command timeout: what a request used to pay on every call while Redis was down. */
const REDIS_TIMEOUT_MS = 500;
const WRITES_PER_MINUTE = 30;
/** Requests after the outage begins that may still wait on Redis while the breaker finds out. */
const WARM_UP = 3;

interface Readiness {
  status: string;
  checks: Record<string, boolean>;
  missing: string[];
  degraded: string[];
}

/**
 * A node on a Redis of the test's own, which is killed (connections refused) and later paused (SIGSTOP: connections
 * open, nothing answered). Once the breaker has opened, requests answer without waiting on Redis, limits still
 * hold per node, readiness says Redis is down while the node stays ready, the log says so once; when Redis is
 * back, limits are counted in Redis again within seconds.
 */
describe("a node while Redis is down", function () {
  this.timeout(120_000);
  let redis: PrivateServer;
  let t: TestNode;
  /** A post with a photo: reading it hydrates the photo through the cache. */
  let post: { id: string; reader: Account };
  const logs: string[] = [];

  before(async () => {
    redis = await PrivateServer.redis();
    t = await startTestNode({
      REDIS_URL: redis.url,
      // Its counters under the plain prefix, which the test reads in its private Redis.
      NAMESPACE: "",
      RATE_LIMITS: "on",
      RATE_LIMIT_WRITES_PER_MINUTE: String(WRITES_PER_MINUTE),
      RATE_LIMIT_SIGNUP_PER_HOUR: "1000",
    });
    // The node logs through its broker's logger; record what it says at every level the test reads.
    const logger = t.node.broker.logger;
    for (const level of ["warn", "info"] as const) {
      const original = logger[level];
      logger[level] = (...args: unknown[]) => {
        logs.push(`${level}: ${args.map(String).join(" ")}`);
        original(...args);
      };
    }
    const author = await signup(t.url);
    post = { id: (await createPost(t.url, author)).id, reader: author };
  });

  after(async () => {
    await t?.stop();
    await redis?.kill();
  });

  /** One counted write: authenticated, so the per-user write limit applies; the post does not exist. */
  const write = (account: Account) =>
    api(t.url, "DELETE", "/api/posts/1234567890123", { token: account.token });
  /** One read through the cache (reads are not rate-limited). */
  const read = () => api(t.url, "GET", `/api/posts/${post.id}`, { token: post.reader.token });
  const timed = async (request: () => Promise<{ status: number; text: string }>, status: number) => {
    const started = performance.now();
    const res = await request();
    const ms = performance.now() - started;
    expect(res.status, res.text).to.equal(status);
    return ms;
  };
  const counterKey = (account: Account) => `mosaic:rl:write:user:${account.user.id}`;
  /** A client of the test's own, connected for one command, so that it never holds state across outages. */
  const inRedis = async <T>(command: (client: Redis) => Promise<T>): Promise<T> => {
    const client = new Redis(redis.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await client.connect();
      return await command(client);
    } finally {
      client.disconnect();
    }
  };
  const readiness = async () => {
    const res = await api<Readiness>(t.url, "GET", "/health/ready");
    return { status: res.status, body: res.body };
  };
  const outageLogs = () => logs.filter((line) => /Redis does not answer/.test(line));
  const recoveryLogs = () => logs.filter((line) => /Redis answers again/.test(line));

  /**
   * The outage as a client sees it: a few requests while the breaker finds out, then 20 timed writes and reads,
   * spread over a few seconds as traffic is, then writes up to and past the limit, which this node counts alone.
   */
  async function expectFastFallback(account: Account): Promise<void> {
    for (let i = 0; i < WARM_UP; i++) {
      // Bounded even while finding out: one command timeout, with a generous margin, never a hang.
      expect(await timed(() => write(account), 404)).to.be.below(REDIS_TIMEOUT_MS + 1_500);
      expect(await timed(read, 200)).to.be.below(REDIS_TIMEOUT_MS + 1_500);
    }
    const times = { write: [] as number[], read: [] as number[] };
    for (let i = 0; i < 20; i++) {
      times.write.push(await timed(() => write(account), 404));
      times.read.push(await timed(read, 200));
      await sleep(100);
    }
    for (const [what, list] of Object.entries(times)) {
      const sorted = [...list].sort((a, b) => a - b);
      const all = `${what}s: ${list.map(Math.round).join(", ")} ms`;
      expect(sorted[10], `median of ${all}`).to.be.below(200);
      expect(sorted[19], `slowest of ${all}`).to.be.below(REDIS_TIMEOUT_MS);
    }

    // Counted per node since the outage began: the limit still holds.
    let made = WARM_UP + 20;
    while (made < WRITES_PER_MINUTE) {
      expect((await write(account)).status).to.equal(404);
      made++;
    }
    const refused = await write(account);
    expect(refused.status).to.equal(429);
    expect(refused.headers.get("retry-after")).to.match(/^\d+$/);
  }

  async function expectCountedInRedisAgain(): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!(await readiness()).body.checks.redis) {
      if (Date.now() > deadline) throw new Error(`Redis not back in use; logs:\n${logs.join("\n")}`);
      await sleep(100);
    }
    const ready = await readiness();
    expect(ready.status).to.equal(200);
    expect(ready.body.degraded).to.deep.equal([]);
    const account = await signup(t.url);
    expect((await write(account)).status).to.equal(404);
    expect(await inRedis((client) => client.get(counterKey(account)))).to.equal("1");
    // Shared again: a count another node made in Redis decides this node's answer.
    const other = await signup(t.url);
    await inRedis((client) => client.set(counterKey(other), WRITES_PER_MINUTE, "PX", 60_000));
    expect((await write(other)).status).to.equal(429);
  }

  it("counts limits in Redis while it answers", async () => {
    const account = await signup(t.url);
    expect((await write(account)).status).to.equal(404);
    expect(await inRedis((client) => client.get(counterKey(account)))).to.equal("1");
    const ready = await readiness();
    expect(ready.status).to.equal(200);
    expect(ready.body.checks.redis).to.equal(true);
  });

  it("with Redis killed, answers without waiting on it, limits per node, stays ready and says so once", async () => {
    const account = await signup(t.url);
    await redis.kill();
    await expectFastFallback(account);

    const ready = await readiness();
    expect(ready.status, "Redis is not required to serve").to.equal(200);
    expect(ready.body.checks.redis).to.equal(false);
    expect(ready.body.degraded).to.deep.equal(["redis"]);
    expect(outageLogs(), logs.join("\n")).to.have.length(1);
    expect(outageLogs()[0]).to.match(/^warn: .*falling back to per-node rate limits/);
  });

  it("counts in Redis again within seconds of its return, and says so once", async () => {
    await redis.start();
    await expectCountedInRedisAgain();
    expect(recoveryLogs()).to.have.length(1);
  });

  it("with Redis hung (SIGSTOP), answers without waiting on it after the first request that timed out", async () => {
    const account = await signup(t.url);
    redis.pause();
    try {
      await expectFastFallback(account);
      const ready = await readiness();
      expect(ready.status).to.equal(200);
      expect(ready.body.checks.redis).to.equal(false);
      expect(outageLogs()).to.have.length(2);
      expect(outageLogs()[1]).to.match(/timed out/);
    } finally {
      redis.resume();
    }
    await expectCountedInRedisAgain();
    expect(recoveryLogs()).to.have.length(2);
  });
});
