import { readFile } from "node:fs/promises";
import autocannon from "autocannon";

/**
 * The load generator, run as its own process (`node --import tsx bench/support/load.ts plan.json`) so that it
 * never competes with the process it measures for one event loop. It reads its plan from a JSON file (the
 * token list is too long for argv), rotates over the tokens request by request, and prints one line of JSON:
 * a LoadResult. runLoad (load-runner.ts) is the other half.
 */

export interface LoadPlan {
  url: string;
  /** Path and query of every request. */
  path: string;
  /** Bearer tokens, taken in turn, one per request. */
  tokens: readonly string[];
  connections: number;
  /** Measured duration; a warm-up of `warmupSeconds` runs first and is discarded. */
  seconds: number;
  warmupSeconds: number;
  /** A request with no answer after this long counts as a timeout (an error). */
  timeoutSeconds: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  bytesPerResponse: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function main(): Promise<void> {
  const planFile = process.argv[2];
  if (planFile === undefined) throw new Error("usage: load.ts <plan.json>");
  const plan = JSON.parse(await readFile(planFile, "utf8")) as LoadPlan;
  if (plan.tokens.length === 0) throw new Error("the plan has no tokens");
  if (plan.warmupSeconds > 0) {
    await fire(plan, plan.warmupSeconds);
    await settle(plan);
  }
  const result = await fire(plan, plan.seconds);
  process.stdout.write(`${JSON.stringify(summarise(result))}\n`);
}

function fire(plan: LoadPlan, seconds: number): Promise<autocannon.Result> {
  let next = 0;
  const bearer = plan.tokens.map((token) => `Bearer ${token}`);
  return autocannon({
    url: plan.url,
    connections: plan.connections,
    duration: seconds,
    timeout: plan.timeoutSeconds,
    requests: [
      {
        method: "GET",
        path: plan.path,
        // Each request as another reader: one connection is not one user, and neither is it in a real gateway.
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, authorization: bearer[next++ % bearer.length] },
        }),
      },
    ],
  });
}

/**
 * Waits for one more answer: the warm-up's last requests were abandoned, not cancelled, and the server works
 * them off first, in about the order they came. Without this, that leftover would count against the run.
 */
async function settle(plan: LoadPlan): Promise<void> {
  const res = await fetch(`${plan.url}${plan.path}`, {
    headers: { authorization: `Bearer ${plan.tokens[0] ?? ""}` },
    signal: AbortSignal.timeout(plan.timeoutSeconds * 1000),
  });
  await res.arrayBuffer();
}

function summarise(result: autocannon.Result): LoadResult {
  const answered = result.requests.total;
  return {
    requests: answered,
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    bytesPerResponse: answered > 0 ? Math.round(result.throughput.total / answered) : 0,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
