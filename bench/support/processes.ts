import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { nodeEntry } from "./node-entry";

const ROOT = path.resolve(__dirname, "../..");

/**
 * What every bench's node runs with unless told otherwise (see startMosaic): no rate limits, no adaptive limit,
 * and a queue bound (QUEUE_TARGET_MS, its maximum) that a saturating client never reaches, since requests that
 * each hold the event loop for many milliseconds (an embedded posts search) queue past the default 100 ms. Answers
 * are not checked against their contracts, as in production: the in-process benches start a test node, which
 * checks them.
 */
export const BENCH_ENV = {
  RATE_LIMITS: "off",
  ADAPTIVE_LIMIT: "off",
  QUEUE_TARGET_MS: "10000",
  CHECK_RESULTS: "off",
} as const;

/**
 * Starts a Mosaic node as its own process and waits for readiness: as `npm start` runs it (through tsx), or with
 * `built` the compiled output of `npm run build`, as the container image runs it. Rate limits and the admission
 * bounds are off unless `env` turns them on: a bench measures what the node serves to clients that never back
 * off, which admission would refuse in part (bench:overload measures that refusal).
 */
export async function startMosaic(
  env: Record<string, string>,
  options: { built: boolean },
): Promise<{ url: string; child: ChildProcess }> {
  const port = env.PORT ?? "3900";
  const child = spawn(process.execPath, nodeEntry(options.built), {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: "warn", ...BENCH_ENV, ...env, PORT: port },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/health/ready`, child);
  return { url, child };
}

/** The reference: a bare node:http server answering every request with the given status, headers and bytes. */
export async function startBareServer(
  port: number,
  answer: { status: number; headers: Record<string, string>; body: string },
): Promise<{ url: string; child: ChildProcess }> {
  const source = `
    const http = require("node:http");
    const a = JSON.parse(process.env.ANSWER);
    const body = Buffer.from(a.body);
    http.createServer((req, res) => { res.writeHead(a.status, { ...a.headers, "content-length": body.length }); res.end(body); })
      .listen(${port}, "127.0.0.1");`;
  const child = spawn(process.execPath, ["-e", source], {
    env: { ...process.env, ANSWER: JSON.stringify(answer) },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return { url, child };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

/** Waits until `url` answers 200; a process that never gets there is stopped, not left holding its port. */
async function waitReady(url: string, child: ChildProcess): Promise<void> {
  try {
    await pollReady(url, child);
  } catch (error: unknown) {
    child.kill("SIGKILL");
    throw error;
  }
}

async function pollReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become ready`);
}

/** CPU seconds (user and system) the process has used, from /proc/<pid>/stat (Linux; clock ticks of 1/100 s). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // The fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Waits until a node has finished what it does on its own after start-up (a search index rebuilt from a store the
 * bench seeded directly, its snapshot, compactions): two seconds in a row below a tenth of a core. A bench that
 * measured meanwhile would count that work against the requests. Answers the seconds waited; gives up at `limitS`.
 */
export async function waitIdle(child: ChildProcess, limitS = 180): Promise<number> {
  const pid = child.pid;
  if (pid === undefined) return 0;
  const began = performance.now();
  let quiet = 0;
  let last = await cpuSeconds(pid);
  while (quiet < 2 && performance.now() - began < limitS * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    if (child.exitCode !== null) throw new Error(`the node exited with ${child.exitCode} while starting`);
    const now = await cpuSeconds(pid);
    quiet = now - last < 0.1 ? quiet + 1 : 0;
    last = now;
  }
  return (performance.now() - began) / 1000;
}
