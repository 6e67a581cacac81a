import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { entryFromArgs } from "./support/node-entry";
import { summariseProfile } from "./support/cpu-profile";
import { startBareServer, startMosaic, stop } from "./support/processes";

/**
 * GET /api/me through the whole stack (gateway, auth with a session read, users service, store) against a bare
 * node:http server sending the same bytes: the price of the framework and of the work per request.
 *
 *   npm run bench:me [-- --seconds 10 --connections 50 --built --cpu-prof]
 *
 * The node runs compiled (dist/) when dist/ is up to date, or after compiling with `--built`; else through tsx.
 */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function run(url: string, token: string, seconds: number, connections: number) {
  const result = await autocannon({
    url: `${url}/api/me`,
    headers: { authorization: `Bearer ${token}` },
    connections,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function main(): Promise<void> {
  const seconds = arg("seconds", 10);
  const connections = arg("connections", 50);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-bench-"));
  const entry = await entryFromArgs();
  // `--cpu-prof`: the node writes a V8 profile as it stops, summarised after the table and kept for reading.
  const profileDir = process.argv.includes("--cpu-prof")
    ? await mkdtemp(path.join(os.tmpdir(), "mosaic-me-profile-"))
    : undefined;
  const mosaic = await startMosaic(
    {
      PORT: "3901",
      DATA_DIR: dataDir,
      ...(profileDir !== undefined && { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` }),
    },
    entry,
  );
  try {
    const signup = await fetch(`${mosaic.url}/api/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        username: "bench_user",
        email: "bench@example.com",
        password: "bench-password",
      }),
    });
    const { token } = (await signup.json()) as { token: string };
    const me = await fetch(`${mosaic.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    const body = await me.text();
    const bare = await startBareServer(3902, {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8", "x-request-id": crypto.randomUUID() },
      body,
    });
    try {
      // Warm both (JIT, caches) before measuring.
      await run(mosaic.url, token, 2, connections);
      await run(bare.url, token, 2, connections);
      const ours = await run(mosaic.url, token, seconds, connections);
      const ref = await run(bare.url, token, seconds, connections);
      console.log(
        `GET /api/me, ${connections} connections, ${seconds} s each, ${body.length}-byte answer; node: ${entry.why}`,
      );
      console.table({
        mosaic: { "req/s": Math.round(ours.rps), "p50 ms": ours.p50, "p99 ms": ours.p99 },
        "bare node:http": { "req/s": Math.round(ref.rps), "p50 ms": ref.p50, "p99 ms": ref.p99 },
      });
      console.log(`ratio mosaic / bare: ${(ours.rps / ref.rps).toFixed(3)} of the requests per second`);
    } finally {
      await stop(bare.child);
    }
  } finally {
    await stop(mosaic.child);
    if (profileDir !== undefined) {
      const { self, total } = await summariseProfile(profileDir, 20);
      console.log("CPU profile of the node (share of busy samples), self time:");
      console.table(self);
      console.log("total time:");
      console.table(total);
      console.log(`profile kept in ${profileDir}`);
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
