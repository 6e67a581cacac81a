import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { CassandraLoginError } from "../../lib/store/cassandra";
import { describeStoreContract, rejectionOf } from "../unit/store/contract";
import {
  CASSANDRA_CONTACT_POINTS,
  CASSANDRA_CREDENTIALS,
  dropTestKeyspace,
  testCassandraStore,
} from "../support/cassandra";

const ROOT = path.resolve(__dirname, "../..");

// The same contract the embedded adapter passes, against a real Cassandra (npm run test:infra).
describeStoreContract("CassandraStore", () => {
  const store = testCassandraStore("mosaic_contract");
  return Promise.resolve({ store, clock: undefined, teardown: () => store.close() });
});

/**
 * Logins, against a Cassandra that requires them (`MOSAIC_CASSANDRA_AUTH=1 scripts/infra/cassandra.sh up`, as in
 * CI, with CASSANDRA_USERNAME and CASSANDRA_PASSWORD set to its superuser). Without those variables the server is
 * taken to need no login, and only the case that holds for both runs.
 */
describe("CassandraStore login", function () {
  this.timeout(60_000);
  const keyspace = `mosaic_login_${process.pid}`;
  const wrongPassword = `wrong-${Math.random().toString(36).slice(2)}`;

  function requiresLogin(this: Mocha.Context): { username: string; password: string } {
    if (CASSANDRA_CREDENTIALS === undefined) {
      console.warn(
        "    skipped: CASSANDRA_USERNAME is unset, so the test Cassandra is taken to require no login",
      );
      this.skip();
    }
    return CASSANDRA_CREDENTIALS;
  }

  after(() => dropTestKeyspace(keyspace));

  it("opens with the configured credentials (or none where no login is asked)", async () => {
    const store = testCassandraStore(keyspace);
    try {
      await store.open([]);
      expect(await store.isReady()).to.equal(true);
    } finally {
      await store.close();
    }
  });

  it("refuses a wrong password with one line naming the variables, and not the password", async function () {
    const { username } = requiresLogin.call(this);
    const store = testCassandraStore(keyspace, "test", {
      credentials: { username, password: wrongPassword },
    });
    try {
      const error = await rejectionOf(store.open([]));
      expect(error).to.be.instanceOf(CassandraLoginError);
      const { message, stack } = error as CassandraLoginError;
      expect(message).to.contain("CASSANDRA_USERNAME").and.contain("CASSANDRA_PASSWORD");
      expect(message).to.contain(JSON.stringify(username));
      expect(message).to.not.contain(wrongPassword);
      expect(stack, "what bin/mosaic.ts prints: one line").to.equal(`CassandraLoginError: ${message}`);
    } finally {
      await store.close();
    }
  });

  it("says a login is needed when none is configured", async function () {
    requiresLogin.call(this);
    const store = testCassandraStore(keyspace, "test", { credentials: undefined });
    try {
      const error = await rejectionOf(store.open([]));
      expect(error).to.be.instanceOf(CassandraLoginError);
      expect((error as Error).message).to.match(
        /requires a login: set CASSANDRA_USERNAME and CASSANDRA_PASSWORD/,
      );
    } finally {
      await store.close();
    }
  });

  it("stops a node with a wrong password on one line, exit code 1, the password nowhere in its output", async function () {
    const { username } = requiresLogin.call(this);
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-login-"));
    try {
      const proc = spawn(process.execPath, ["--import", "tsx", "bin/mosaic.ts"], {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: "0",
          DATA_DIR: dataDir,
          LOG_LEVEL: "info",
          STORE: "cassandra",
          CASSANDRA_CONTACT_POINTS,
          CASSANDRA_KEYSPACE: keyspace,
          CASSANDRA_USERNAME: username,
          CASSANDRA_PASSWORD: wrongPassword,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
      proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
      const [code] = (await once(proc, "exit")) as [number | null];
      expect(code, err).to.equal(1);
      const lines = err.trim().split("\n");
      expect(lines, err).to.have.length(1);
      expect(lines[0]).to.match(
        /^mosaic: could not start: CassandraLoginError: cassandra at \S+ refused the login of CASSANDRA_USERNAME=".+" \(.+\): check CASSANDRA_USERNAME and CASSANDRA_PASSWORD$/,
      );
      expect(out + err).to.not.contain(wrongPassword);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
