import { randomBytes } from "node:crypto";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import { rateLimitKeys } from "../../lib/rate-limit/rate-limiter";
import { RedisRateLimiter } from "../../lib/rate-limit/redis";
import { describeRateLimiterContract } from "../unit/rate-limit/contract";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** Every run counts in its own namespace, so parallel runs (and leftovers of earlier ones) never collide. */
const runPrefix = () => `mosaic-test-${process.pid}-${randomBytes(4).toString("hex")}:`;

describeRateLimiterContract("RedisRateLimiter (two nodes on one Redis)", () => {
  const prefix = runPrefix();
  const limiter = new RedisRateLimiter(REDIS_URL, { prefix });
  const peer = new RedisRateLimiter(REDIS_URL, { prefix });
  return {
    limiter,
    peer,
    elapse: (ms) => sleep(ms),
    async close() {
      await limiter.close();
      await peer.close();
    },
  };
});

describe("RedisRateLimiter when Redis is down", () => {
  const key = () => rateLimitKeys.write(randomBytes(6).toString("hex"));

  it("answers within its command timeout, from this node's own counts, and warns once", async () => {
    const warnings: string[] = [];
    const limiter = new RedisRateLimiter("redis://127.0.0.1:1", {
      commandTimeoutMs: 300,
      warn: (message) => warnings.push(message),
    });
    try {
      const k = key();
      const started = Date.now();
      expect(await limiter.hit(k, 1, 60_000)).to.deep.equal({ allowed: true });
      expect(Date.now() - started).to.be.below(300 + 200);
      // Failing open would let a brute force through; per-node counts still hold it back.
      expect(await limiter.hit(k, 1, 60_000)).to.deep.include({ allowed: false });
      expect(await limiter.hit(key(), 1, 60_000)).to.deep.equal({ allowed: true });
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/Redis does not answer/);
    } finally {
      await limiter.close();
    }
  });

  it("answers within its command timeout when Redis accepts the connection but never replies", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    const address = silent.address();
    const port = address !== null && typeof address === "object" ? address.port : 0;
    const limiter = new RedisRateLimiter(`redis://127.0.0.1:${port}`, {
      commandTimeoutMs: 300,
      warn: () => undefined,
    });
    try {
      const started = Date.now();
      expect(await limiter.hit(key(), 1, 60_000)).to.deep.equal({ allowed: true });
      expect(Date.now() - started).to.be.below(300 + 200);
    } finally {
      await limiter.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("does not make every request wait once it knows Redis is down", async () => {
    const limiter = new RedisRateLimiter("redis://127.0.0.1:1", {
      commandTimeoutMs: 300,
      outageBackoffMs: 60_000,
      warn: () => undefined,
    });
    try {
      await limiter.hit(key(), 10, 60_000);
      const started = Date.now();
      for (let i = 0; i < 20; i++) await limiter.hit(key(), 10, 60_000);
      expect(Date.now() - started).to.be.below(100);
    } finally {
      await limiter.close();
    }
  });

  it("shares counts again once Redis comes back", async () => {
    const proxy = await RedisProxy.start(REDIS_URL);
    const prefix = runPrefix();
    const warnings: string[] = [];
    const limiter = new RedisRateLimiter(proxy.url, {
      prefix,
      commandTimeoutMs: 300,
      outageBackoffMs: 100,
      warn: (message) => warnings.push(message),
    });
    const direct = new RedisRateLimiter(REDIS_URL, { prefix });
    try {
      const k = key();
      expect(await limiter.hit(k, 2, 60_000)).to.deep.equal({ allowed: true });
      await proxy.stop();
      expect(await limiter.hit(k, 2, 60_000)).to.deep.equal({ allowed: true });
      await proxy.resume();
      // Reconnecting is ioredis's own business; give it a moment, then the shared count is back in charge.
      for (let i = 0; i < 50 && warnings.length < 2; i++) {
        await sleep(100);
        await limiter.hit(k, 2, 60_000);
      }
      expect(warnings).to.have.length(2);
      expect(warnings[1]).to.match(/answers again/);
      // The hit that found Redis again was the shared count's second; the third is over, on either node.
      expect((await limiter.hit(k, 2, 60_000)).allowed).to.equal(false);
      expect((await direct.hit(k, 2, 60_000)).allowed).to.equal(false);
    } finally {
      await limiter.close();
      await direct.close();
      await proxy.stop();
    }
  });
});

/** A TCP relay to Redis that a test can cut and restore, on the same port, to stage an outage. */
class RedisProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly target: URL,
    private port: number,
  ) {}

  static async start(targetUrl: string): Promise<RedisProxy> {
    const proxy = new RedisProxy(new URL(targetUrl), 0);
    await proxy.resume();
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async resume(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port || 6379), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    if (address !== null && typeof address === "object") this.port = address.port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
