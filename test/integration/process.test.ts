import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { freePort } from "../support/free-port";
import { api } from "../support/test-node";

const ROOT = path.resolve(__dirname, "../..");

/** The real entry point as a process: what `npm start` runs. */
describe("bin/mosaic.ts as a process", function () {
  this.timeout(60_000);
  let dataDir: string;
  let child: ChildProcess | undefined;
  let output = "";

  async function start(env: Record<string, string>): Promise<string> {
    const port = String(await freePort());
    output = "";
    child = spawn(process.execPath, ["--import", "tsx", "bin/mosaic.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: port, DATA_DIR: dataDir, LOG_LEVEL: "info", RATE_LIMITS: "off", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`exited early:\n${output}`);
      const ok = await fetch(`${url}/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return url;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`not ready:\n${output}`);
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-proc-"));
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    child = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  it("finishes an in-flight request on SIGTERM, exits 0, and keeps the data for the next start", async () => {
    const url = await start({});
    const username = `proc_${Date.now().toString(36)}`;
    // Sign-up hashes a password (tens of ms): the signal lands while it is in flight.
    const inFlight = api<{ token: string }>(url, "POST", "/api/auth/signup", {
      body: { username, email: `${username}@example.com`, password: "password1" },
    });
    await new Promise((r) => setTimeout(r, 5));
    child!.kill("SIGTERM");
    const res = await inFlight;
    expect(res.status).to.equal(201);
    const [code] = (await once(child!, "exit")) as [number | null];
    expect(code, output).to.equal(0);

    const again = await start({});
    const login = await api(again, "POST", "/api/auth/login", {
      body: { login: username, password: "password1" },
    });
    expect(login.status).to.equal(200);
    // The token key is kept under the data dir, so a token from before the restart still works.
    expect((await api(again, "GET", "/api/me", { token: res.body.token })).status).to.equal(200);
  });

  it("refuses a bad configuration with one line per problem and exit code 2", async () => {
    const proc = spawn(process.execPath, ["--import", "tsx", "bin/mosaic.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "not-a-port", SERVICES: "gateway,nope", RATE_LIMITS: "sometimes" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const [code] = (await once(proc, "exit")) as [number | null];
    expect(code).to.equal(2);
    expect(err).to.match(/PORT="not-a-port"/);
    expect(err).to.match(/RATE_LIMITS="sometimes"/);
    expect(err).to.not.match(/\bat .*\.(ts|js):\d+/);
  });

  it("refuses an unknown service name", async () => {
    const proc = spawn(process.execPath, ["--import", "tsx", "bin/mosaic.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "0", DATA_DIR: dataDir, SERVICES: "gateway,timelines" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const [code] = (await once(proc, "exit")) as [number | null];
    expect(code).to.equal(2);
    expect(err).to.contain("unknown timelines").and.contain("SERVICES");
  });
});
