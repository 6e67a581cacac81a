import { randomBytes } from "node:crypto";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import { rateLimitKeys } from "../../lib/rate-limit/rate-limiter";
import { RedisRateLimiter } from "../../lib/rate-limit/redis";
import { RedisConnection, type RedisConnectionOptions } from "../../lib/redis/connection";
import { describeRateLimiterContract } from "../unit/rate-limit/contract";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** Every run counts in its own namespace, so parallel runs (and leftovers of earlier ones) never collide. */
const runPrefix = () => `mosaic-test-${process.pid}-${randomBytes(4).toString("hex")}:`;

describeRateLimiterContract("RedisRateLimiter (two nodes on one Redis)", () => {
  const prefix = runPrefix();
  const connections = [new RedisConnection(REDIS_URL), new RedisConnection(REDIS_URL)] as const;
  return {
    limiter: new RedisRateLimiter(connections[0], { prefix }),
    peer: new RedisRateLimiter(connections[1], { prefix }),
    elapse: (ms) => sleep(ms),
    async close() {
      for (const connection of connections) await connection.close();
    },
  };
});

describe("RedisRateLimiter when Redis is down", () => {
  const key = () => rateLimitKeys.write(randomBytes(6).toString("hex"));
  const connections: RedisConnection[] = [];
  const connect = (url: string, options: RedisConnectionOptions = {}) => {
    const connection = new RedisConnection(url, { commandTimeoutMs: 300, log: () => undefined, ...options });
    connections.push(connection);
    return connection;
  };
  afterEach(async () => {
    for (const connection of connections.splice(0)) await connection.close();
  });

  it("answers within its command timeout, from this node's own counts, and warns once", async () => {
    const warnings: string[] = [];
    const limiter = new RedisRateLimiter(
      connect("redis://127.0.0.1:1", { log: (level, message) => warnings.push(`${level}: ${message}`) }),
    );
    const k = key();
    const started = Date.now();
    expect(await limiter.hit(k, 1, 60_000)).to.deep.equal({ allowed: true });
    expect(Date.now() - started).to.be.below(300 + 200);
    // Failing open would let a brute force through; per-node counts still hold it back.
    expect(await limiter.hit(k, 1, 60_000)).to.deep.include({ allowed: false });
    expect(await limiter.hit(key(), 1, 60_000)).to.deep.equal({ allowed: true });
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/^warn: Redis does not answer .*per-node rate limits/);
  });

  it("answers within its command timeout when Redis accepts the connection but never replies", async () => {
    const silent = await SilentServer.start();
    try {
      const limiter = new RedisRateLimiter(connect(silent.url));
      const started = Date.now();
      expect(await limiter.hit(key(), 1, 60_000)).to.deep.equal({ allowed: true });
      expect(Date.now() - started).to.be.below(300 + 200);
      // Once one request has waited, the breaker is open: the next ones do not wait at all.
      const next = Date.now();
      for (let i = 0; i < 20; i++) await limiter.hit(key(), 10, 60_000);
      expect(Date.now() - next).to.be.below(100);
    } finally {
      await silent.stop();
    }
  });

  it("does not make every request wait once it knows Redis is down", async () => {
    const limiter = new RedisRateLimiter(connect("redis://127.0.0.1:1"));
    await limiter.hit(key(), 10, 60_000);
    const started = Date.now();
    for (let i = 0; i < 20; i++) await limiter.hit(key(), 10, 60_000);
    expect(Date.now() - started).to.be.below(100);
  });

  it("shares counts again once Redis comes back, and says so once", async () => {
    const proxy = await RedisProxy.start(REDIS_URL);
    const prefix = runPrefix();
    const changes: string[] = [];
    const limiter = new RedisRateLimiter(
      connect(proxy.url, { probeIntervalMs: 100, log: (level) => changes.push(level) }),
      { prefix },
    );
    const direct = new RedisRateLimiter(connect(REDIS_URL), { prefix });
    try {
      const k = key();
      expect(await limiter.hit(k, 2, 60_000)).to.deep.equal({ allowed: true });
      await proxy.stop();
      expect(await limiter.hit(k, 2, 60_000)).to.deep.equal({ allowed: true });
      await proxy.resume();
      // Reconnecting is ioredis's own business; give it a moment, then the shared count is back in charge.
      for (let i = 0; i < 50 && changes.length < 2; i++) await sleep(100);
      expect(changes).to.deep.equal(["warn", "info"]);
      // The outage's hit was counted on this node only; the shared count is at 1, so one more is allowed.
      expect((await limiter.hit(k, 2, 60_000)).allowed).to.equal(true);
      expect((await direct.hit(k, 2, 60_000)).allowed).to.equal(false);
      expect((await limiter.hit(k, 2, 60_000)).allowed).to.equal(false);
    } finally {
      await proxy.stop();
    }
  });
});

/** A TCP server that accepts connections and never answers: a Redis that hangs. */
class SilentServer {
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server) {}

  static async start(): Promise<SilentServer> {
    const server = net.createServer();
    const silent = new SilentServer(server);
    server.on("connection", (socket) => {
      silent.sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    return silent;
  }

  get url(): string {
    const address = this.server.address();
    return `redis://127.0.0.1:${address !== null && typeof address === "object" ? address.port : 0}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

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
