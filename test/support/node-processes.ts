import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

export interface NodeProcess {
  name: string;
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  log: string;
}

/**
 * Mosaic nodes as real processes (`bin/mosaic.ts`), for tests that kill one. Each gets the shared environment
 * plus its own, and a node id made of the namespace and its name.
 */
export class NodeProcesses {
  readonly procs: NodeProcess[] = [];

  /** `env` is read at each start, so it may name folders made after construction. */
  constructor(private readonly env: () => Record<string, string>) {}

  start(name: string, env: Record<string, string>): NodeProcess {
    const shared = this.env();
    const proc: NodeProcess = {
      name,
      log: "",
      child: spawn(process.execPath, ["--import", "tsx", "bin/mosaic.ts"], {
        cwd: ROOT,
        env: { ...process.env, NODE_ID: `${shared.NAMESPACE ?? "mosaic"}-${name}`, ...shared, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      }),
    };
    proc.child.stdout?.on("data", (d: Buffer) => (proc.log += d.toString()));
    proc.child.stderr?.on("data", (d: Buffer) => (proc.log += d.toString()));
    this.procs.push(proc);
    return proc;
  }

  /** Polls `check` every 100 ms; on time-out, fails with every process's log. */
  async waitFor(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) {
        const logs = this.procs.map((p) => `--- ${p.name}\n${p.log}`).join("\n");
        throw new Error(`timed out waiting for ${what}\n${logs}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops every process still running: SIGTERM, then SIGKILL after `graceMs` (0: SIGKILL at once). */
  async stopAll(graceMs: number): Promise<void> {
    for (const p of this.procs) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      const exited = once(p.child, "exit");
      p.child.kill(graceMs === 0 ? "SIGKILL" : "SIGTERM");
      const timer = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }
  }
}
