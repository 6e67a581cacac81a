import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { ConfigError, hostsService, loadConfig, type Config } from "../../../config";

describe("config", () => {
  it("gives a working embedded default with nothing set", () => {
    const config = loadConfig({});
    expect(config.http).to.deep.equal({
      port: 3000,
      host: "127.0.0.1",
      metricsPort: undefined,
      trustProxy: { kind: "none" },
      bodyIdleTimeoutMs: 15_000,
      maxInFlight: 128,
      queueTargetMs: 100,
      adaptiveLimit: { tolerance: 1.5, sustainMs: 300 },
      queueIntervalMs: 1_000,
      // The client this checkout builds, wherever the node is started from.
      webDir: path.resolve(__dirname, "../../../web/dist"),
    });
    expect(loadConfig({ WEB_DIR: "site" }).http.webDir).to.equal(path.resolve("site"));
    expect(config.cors.origins, "no CORS unless asked for").to.deep.equal([]);
    expect(config.dataDir).to.equal(path.resolve("./data"));
    expect(config.services).to.equal("*");
    expect(config.broker.transporter).to.equal(undefined);
    expect(config.workerId).to.equal(0);
    expect(config.rateLimits.enabled).to.equal(true);
  });

  it("is frozen all the way down", () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.http)).to.equal(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).to.throw(TypeError);
  });

  it("parses values and lists", () => {
    const config = loadConfig({
      PORT: "8080",
      SERVICES: "gateway, users",
      RATE_LIMITS: "off",
      CORS_ORIGINS: "https://a.example, https://b.example",
      DATA_DIR: "/tmp/x",
    });
    expect(config.http.port).to.equal(8080);
    expect(config.services).to.deep.equal(["gateway", "users"]);
    expect(config.rateLimits.enabled).to.equal(false);
    expect(config.cors.origins).to.deep.equal(["https://a.example", "https://b.example"]);
    expect(hostsService(config, "users")).to.equal(true);
    expect(hostsService(config, "timeline")).to.equal(false);
  });

  it("reads the per-user quotas, each with its own default", () => {
    expect(loadConfig({}).rateLimits.quotasPerHour).to.deep.equal({
      likes: 500,
      comments: 200,
      posts: 50,
      follows: 200,
      stories: 50,
      messages: 500,
      reports: 60,
      exports: 3,
    });
    const config = loadConfig({ QUOTA_FOLLOWS_PER_HOUR: "2", QUOTA_MESSAGES_PER_HOUR: "1000" });
    expect(config.rateLimits.quotasPerHour).to.include({ follows: 2, messages: 1000, likes: 500 });
    expect(() => loadConfig({ QUOTA_LIKES_PER_HOUR: "0" })).to.throw(ConfigError, /QUOTA_LIKES_PER_HOUR/);
  });

  it("reads the proxies to trust as a hop count or networks, and refuses anything else at start-up", () => {
    expect(loadConfig({ TRUST_PROXY: "1" }).http.trustProxy).to.deep.equal({ kind: "hops", hops: 1 });
    expect(loadConfig({ TRUST_PROXY: "10.0.0.0/8,::1/128" }).http.trustProxy).to.deep.equal({
      kind: "networks",
      networks: [
        { family: "ipv4", address: "10.0.0.0", prefix: 8 },
        { family: "ipv6", address: "::1", prefix: 128 },
      ],
    });
    expect(() => loadConfig({ TRUST_PROXY: "on" })).to.throw(ConfigError, /TRUST_PROXY="on": .*hop count/);
    expect(() => loadConfig({ TRUST_PROXY: "10.0.0.0/40" })).to.throw(ConfigError, /TRUST_PROXY=/);
  });

  it("takes CORS origins as an exact allow-list, or `*` when asked", () => {
    expect(loadConfig({ CORS_ORIGINS: "*" }).cors.origins).to.equal("*");
    expect(() => loadConfig({ CORS_ORIGINS: "app.example" })).to.throw(
      ConfigError,
      /CORS_ORIGINS="app.example"/,
    );
    expect(() => loadConfig({ CORS_ORIGINS: "https://a.example/app" })).to.throw(
      ConfigError,
      /CORS_ORIGINS=/,
    );
  });

  it("bounds the idle timeout of request bodies", () => {
    expect(loadConfig({ BODY_IDLE_TIMEOUT_MS: "250" }).http.bodyIdleTimeoutMs).to.equal(250);
    expect(() => loadConfig({ BODY_IDLE_TIMEOUT_MS: "0" })).to.throw(ConfigError, /BODY_IDLE_TIMEOUT_MS/);
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ PORT: "", TRANSPORTER: " " }).http.port).to.equal(3000);
  });

  it("names every bad variable in one error", () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: "70000",
        RATE_LIMITS: "maybe",
        SERVICES: "a,,b",
        TRANSPORTER: "redis://x",
        JWT_SECRET: "short",
      });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    for (const name of ["PORT", "RATE_LIMITS", "SERVICES", "TRANSPORTER", "JWT_SECRET"]) {
      expect(
        problems.some((p) => p.startsWith(`${name}=`)),
        name,
      ).to.equal(true);
    }
    expect(problems).to.have.length(5);
  });

  it("requires a worker id and a shared token key in cluster mode", () => {
    expect(() => loadConfig({ TRANSPORTER: "nats://127.0.0.1:4222" }))
      .to.throw(ConfigError)
      .with.property("problems")
      .that.has.length(2);
    const config = loadConfig({
      TRANSPORTER: "nats://127.0.0.1:4222",
      WORKER_ID: "7",
      JWT_SECRET: "k".repeat(32),
    });
    expect(config.workerId).to.equal(7);
    expect(config.broker.transporter).to.equal("nats://127.0.0.1:4222");
  });

  it("requires the token key, but no worker id, on a cluster node that reads callers without minting ids", () => {
    // Discovery checks the proofs of callers (lib/accounts/caller-proof.ts), keyed from the token key.
    expect(() => loadConfig({ TRANSPORTER: "nats://127.0.0.1:4222", SERVICES: "discovery" }))
      .to.throw(ConfigError)
      .with.property("problems")
      .that.deep.equals([
        "JWT_SECRET: required with TRANSPORTER on a node hosting users, so all sign the same tokens",
      ]);
    const config = loadConfig({
      TRANSPORTER: "nats://127.0.0.1:4222",
      SERVICES: "discovery",
      JWT_SECRET: "k".repeat(32),
    });
    expect(config.services).to.deep.equal(["discovery"]);
  });

  it("lets a gateway-only node join a cluster without a worker id or token key", () => {
    const config = loadConfig({ TRANSPORTER: "nats://127.0.0.1:4222", SERVICES: "gateway" });
    expect(config.services).to.deep.equal(["gateway"]);
    expect(() => loadConfig({ TRANSPORTER: "nats://127.0.0.1:4222", SERVICES: "gateway,users" })).to.throw(
      ConfigError,
    );
  });

  it("takes SERVICES=none for a console into a cluster, which needs no worker id, and refuses unknown names", () => {
    const config = loadConfig({ TRANSPORTER: "nats://127.0.0.1:4222", SERVICES: "none" });
    expect(config.services).to.deep.equal([]);
    expect(() => loadConfig({ SERVICES: "gateway,timelines" })).to.throw(ConfigError, /unknown timelines/);
    expect(loadConfig({ SERVICES: "*" }).services).to.equal("*");
  });

  it("refuses a worker id outside 0–1023", () => {
    expect(() => loadConfig({ WORKER_ID: "1024" })).to.throw(ConfigError, /WORKER_ID/);
  });

  describe("Cassandra login and TLS", () => {
    const PASSWORD = "s3cret-Cassandra-pw";
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), "mosaic-config-"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    function cassandra(env: Record<string, string>) {
      const store = loadConfig({ STORE: "cassandra", ...env }).store;
      if (store.kind !== "cassandra") throw new Error("expected the cassandra store");
      return store;
    }
    function problemsOf(env: Record<string, string>): readonly string[] {
      try {
        loadConfig({ STORE: "cassandra", ...env });
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      throw new Error("expected a ConfigError");
    }

    it("logs in with nothing and speaks plain CQL by default", () => {
      const store = cassandra({});
      expect(store.credentials).to.equal(undefined);
      expect(store.tls).to.equal(undefined);
    });

    it("takes a username and a password together", () => {
      const store = cassandra({ CASSANDRA_USERNAME: "mosaic", CASSANDRA_PASSWORD: PASSWORD });
      expect(store.credentials?.username).to.equal("mosaic");
      expect(store.credentials?.password.reveal()).to.equal(PASSWORD);
    });

    it("refuses one of the two without the other, without repeating the password", () => {
      const both = [
        "CASSANDRA_USERNAME, CASSANDRA_PASSWORD: set both (a cluster with authentication) or neither (one without)",
      ];
      expect(problemsOf({ CASSANDRA_USERNAME: "mosaic" })).to.deep.equal(both);
      const problems = problemsOf({ CASSANDRA_PASSWORD: PASSWORD });
      expect(problems).to.deep.equal(both);
      expect(problems.join("\n")).to.not.contain(PASSWORD);
      // An empty variable is unset, as everywhere.
      expect(problemsOf({ CASSANDRA_USERNAME: "mosaic", CASSANDRA_PASSWORD: " " })).to.deep.equal(both);
    });

    it("never shows the password when the config is printed, inspected or serialised", () => {
      const config: Config = loadConfig({
        STORE: "cassandra",
        CASSANDRA_USERNAME: "mosaic",
        CASSANDRA_PASSWORD: PASSWORD,
      });
      const store = config.store as Extract<Config["store"], { kind: "cassandra" }>;
      for (const printed of [
        inspect(config, { depth: Infinity }),
        JSON.stringify(config),
        String(store.credentials?.password),
      ]) {
        expect(printed).to.not.contain(PASSWORD);
      }
      expect(JSON.stringify(config)).to.contain('"password":"[redacted]"');
      expect(inspect(config, { depth: Infinity })).to.contain("username: 'mosaic'");
    });

    it("does not repeat a secret variable's value in a configuration error", () => {
      const problems = (() => {
        try {
          loadConfig({ JWT_SECRET: "short-secret" });
        } catch (err) {
          return (err as ConfigError).problems;
        }
        return [];
      })();
      expect(problems).to.deep.equal(["JWT_SECRET=[redacted]: at least 32 characters"]);
    });

    it("turns TLS on with the system's CAs, or with a CA bundle read at start-up, and a server name", () => {
      expect(cassandra({ CASSANDRA_TLS: "on" }).tls).to.deep.equal({ ca: undefined, serverName: undefined });
      const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
      const file = path.join(dir, "ca.pem");
      writeFileSync(file, pem);
      expect(
        cassandra({
          CASSANDRA_TLS: "on",
          CASSANDRA_TLS_CA: file,
          CASSANDRA_TLS_SERVER_NAME: "cassandra.data.svc.cluster.local",
        }).tls,
      ).to.deep.equal({ ca: pem, serverName: "cassandra.data.svc.cluster.local" });
    });

    it("refuses a CA bundle it cannot read, or that holds no PEM certificate, naming the file", () => {
      const missing = path.join(dir, "nope.pem");
      expect(problemsOf({ CASSANDRA_TLS: "on", CASSANDRA_TLS_CA: missing })).to.deep.equal([
        `CASSANDRA_TLS_CA=${JSON.stringify(missing)}: cannot be read (ENOENT)`,
      ]);
      expect(problemsOf({ CASSANDRA_TLS: "on", CASSANDRA_TLS_CA: dir })).to.deep.equal([
        `CASSANDRA_TLS_CA=${JSON.stringify(dir)}: cannot be read (EISDIR)`,
      ]);
      const notPem = path.join(dir, "key.txt");
      writeFileSync(notPem, "not a certificate\n");
      expect(problemsOf({ CASSANDRA_TLS: "on", CASSANDRA_TLS_CA: notPem })).to.deep.equal([
        `CASSANDRA_TLS_CA=${JSON.stringify(notPem)}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      ]);
    });

    it("refuses TLS settings while TLS is off, and bad values", () => {
      expect(
        problemsOf({ CASSANDRA_TLS_CA: "/etc/ssl/ca.pem", CASSANDRA_TLS_SERVER_NAME: "db" }),
      ).to.deep.equal([
        "CASSANDRA_TLS_CA: only with CASSANDRA_TLS=on (it is off, so nothing would use it)",
        "CASSANDRA_TLS_SERVER_NAME: only with CASSANDRA_TLS=on (it is off, so nothing would use it)",
      ]);
      expect(() => loadConfig({ CASSANDRA_TLS: "yes" })).to.throw(ConfigError, /CASSANDRA_TLS="yes"/);
      expect(() => loadConfig({ CASSANDRA_TLS: "on", CASSANDRA_TLS_SERVER_NAME: "a b" })).to.throw(
        ConfigError,
        /CASSANDRA_TLS_SERVER_NAME/,
      );
    });
  });
});
