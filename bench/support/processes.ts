import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

/**
 * Starts a Mosaic node as its own process and waits for readiness: as `npm start` runs it (through tsx), or with
 * `built` the compiled output of `npm run build`, as the container image runs it.
 */
export async function startMosaic(
  env: Record<string, string>,
  options: { built?: boolean } = {},
): Promise<{ url: string; child: ChildProcess }> {
  const port = env.PORT ?? "3900";
  const entry = options.built
    ? [path.join(ROOT, "dist/bin/mosaic.js")]
    : ["--import", "tsx", path.join(ROOT, "bin/mosaic.ts")];
  const child = spawn(process.execPath, entry, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: "warn", RATE_LIMITS: "off", ...env, PORT: port },
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

async function waitReady(url: string, child: ChildProcess): Promise<void> {
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
