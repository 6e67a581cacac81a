/**
 * Overload (issue #9): an embedded node's `GET /api/me` at rest (one request at a time), then at rising
 * concurrency to find where throughput stops growing (saturation), then at four times that concurrency. Prints the
 * share refused (503 with Retry-After, at once), the p99 of the requests admitted against the p99 at rest (target:
 * within 2×), and the node's memory before and after.
 *
 * Clients honour Retry-After as the web client does (`web/src/api/client.ts`): a refused client waits that long and
 * up to half as long again before its next request, so that clients refused together do not come back together. `--ignore-retry-after` makes them retry at once instead (a client that never backs off).
 *
 *   npm run bench:overload -- [--seconds 10] [--limit N] [--target MS] [--clients N] [--no-adaptive]
 *                             [--ignore-retry-after] [--built]
 *     (--limit sets MAX_IN_FLIGHT, --target QUEUE_TARGET_MS; default: the config's. --no-adaptive: ADAPTIVE_LIMIT
 *     off, MAX_IN_FLIGHT alone. --clients: the overload run's clients, instead of four times the saturating
 *     concurrency; the sweep runs on the same node, so with the adaptive limit on, its refusals can make the node
 *     look saturated sooner than it is)
 */
import { readFile } from "node:fs/promises";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { envSchema } from "../config/schema";
import { Client, ms, summarise } from "./support/measure";
import { positiveIntOption } from "./support/options";
import { entryFromArgs } from "./support/node-entry";
import { startMosaic, stop } from "./support/processes";

interface Phase {
  ok: number[];
  refused: number;
  refusedWithoutRetryAfter: number;
  other: number;
  seconds: number;
}

async function main(): Promise<void> {
  const seconds = positiveIntOption(process.argv, "seconds", 10);
  const limitArg = process.argv.includes("--limit")
    ? positiveIntOption(process.argv, "limit", 128)
    : undefined;
  const targetArg = process.argv.includes("--target")
    ? positiveIntOption(process.argv, "target", 5)
    : undefined;
  const backOff = !process.argv.includes("--ignore-retry-after");
  const adaptive = !process.argv.includes("--no-adaptive");
  const clientsArg = process.argv.includes("--clients")
    ? positiveIntOption(process.argv, "clients", 64)
    : undefined;
  const entry = await entryFromArgs();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-overload-"));
  const node = await startMosaic(
    {
      DATA_DIR: dataDir,
      PORT: String(30_000 + Math.floor(Math.random() * 10_000)),
      ...(limitArg !== undefined && { MAX_IN_FLIGHT: String(limitArg) }),
      // The config's own default unless --target: this bench measures admission, which BENCH_ENV turns off.
      QUEUE_TARGET_MS: String(targetArg ?? envSchema.shape.QUEUE_TARGET_MS.parse(undefined)),
      ADAPTIVE_LIMIT: adaptive ? "on" : "off",
    },
    entry,
  );
  console.log(`node: ${entry.why}`);
  try {
    const client = new Client(node.url, 1024);
    const signup = await client.request({
      method: "POST",
      path: "/api/auth/signup",
      body: {
        username: `load${Date.now().toString(36)}`,
        email: `l${Date.now()}@example.com`,
        password: "password1",
      },
    });
    const token = (JSON.parse(signup.body) as { token: string }).token;
    const run = (concurrency: number, forSeconds: number) =>
      closedLoop(client, token, concurrency, forSeconds, backOff);
    await run(8, 3); // warm-up, unmeasured

    const rest = await run(1, Math.max(3, Math.round(seconds / 2)));
    const restP99 = summarise(rest.ok).p99;
    const sweep: { concurrency: number; perSecond: number }[] = [];
    for (const concurrency of [1, 2, 4, 8, 16, 32, 64]) {
      const phase = await run(concurrency, 3);
      sweep.push({ concurrency, perSecond: phase.ok.length / phase.seconds });
    }
    const best = Math.max(...sweep.map((s) => s.perSecond));
    const saturating = sweep.find((s) => s.perSecond >= 0.9 * best)?.concurrency ?? 64;
    const rssBefore = await rssMiB(node.child.pid);
    const clients = clientsArg ?? saturating * 4;
    const overload = await run(clients, seconds);
    const rssAfter = await rssMiB(node.child.pid);
    const limitAfter = await metric(client, "mosaic_http_in_flight_limit");
    const accepted = summarise(overload.ok);
    const total = overload.ok.length + overload.refused + overload.other;

    console.log(
      `GET /api/me on an embedded node, MAX_IN_FLIGHT ${limitArg ?? "default"}, ` +
        `adaptive limit ${adaptive ? "on" : "off"}, QUEUE_TARGET_MS ${targetArg ?? "default"}; ` +
        `clients ${backOff ? "honour" : "ignore"} Retry-After`,
    );
    console.log(`at rest (1 in flight): p50 ${ms(summarise(rest.ok).p50)} ms, p99 ${ms(restP99)} ms`);
    console.log(
      `sweep (in flight → req/s): ${sweep.map((s) => `${s.concurrency} → ${Math.round(s.perSecond)}`).join(", ")}`,
    );
    console.log(`saturates at ${saturating} in flight; overload run at ${clients} for ${seconds} s:`);
    console.log(
      `  ${total} answers: ${overload.ok.length} admitted (${Math.round(overload.ok.length / overload.seconds)} req/s), ` +
        `${overload.refused} refused with 503 (${overload.refusedWithoutRetryAfter} without Retry-After), ${overload.other} other`,
    );
    console.log(
      `  admitted p50 ${ms(accepted.p50)} ms, p99 ${ms(accepted.p99)} ms: ` +
        `${ms(accepted.p99 / restP99)}× the p99 at rest (target ≤ 2×)`,
    );
    console.log(
      `  node RSS ${rssBefore} MiB before, ${rssAfter} MiB after; in-flight limit at the end ${limitAfter}`,
    );
    client.close();
  } finally {
    await stop(node.child);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** `concurrency` clients each sending the next request as soon as the last is answered, for `seconds`. */
async function closedLoop(
  client: Client,
  token: string,
  concurrency: number,
  seconds: number,
  backOff: boolean,
): Promise<Phase> {
  const phase: Phase = { ok: [], refused: 0, refusedWithoutRetryAfter: 0, other: 0, seconds };
  const until = performance.now() + seconds * 1000;
  const began = performance.now();
  const worker = async () => {
    while (performance.now() < until) {
      const answer = await client.request({ method: "GET", path: "/api/me", token });
      if (answer.status === 200) phase.ok.push(answer.answeredAt - answer.startedAt);
      else if (answer.status === 503) {
        phase.refused++;
        if (!answer.retryAfter) phase.refusedWithoutRetryAfter++;
        else if (backOff) {
          const wait = Math.min(
            Number(answer.retryAfter) * 1000 * (1 + Math.random() / 2),
            until - performance.now(),
          );
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
      } else phase.other++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  phase.seconds = (performance.now() - began) / 1000;
  return phase;
}

/** One unlabelled series of the node's /metrics. */
async function metric(client: Client, name: string): Promise<number> {
  const answer = await client.request({ method: "GET", path: "/metrics" });
  const line = answer.body.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

async function rssMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round(kb / 1024);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
