import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { LoadPlan, LoadResult } from "./load";

const ROOT = path.resolve(__dirname, "../..");
const LOAD_SCRIPT = path.join(__dirname, "load.ts");
/** Time the load process may take beyond its planned run: start-up, and requests still in flight at the end. */
const SLACK_MS = 60_000;

/**
 * `GET /api/feed?limit=20` from `url`, as the feed benches that compare one target with a bare server send it: each
 * token in turn, a 3 s warm-up, a request unanswered after 10 s counted as an error.
 */
export function feedPlan(
  url: string,
  tokens: readonly string[],
  load: { connections: number; seconds: number },
): LoadPlan {
  return { url, path: "/api/feed?limit=20", tokens, ...load, warmupSeconds: 3, timeoutSeconds: 10 };
}

/**
 * Runs load.ts as a separate process on the plan and answers its result; rejects when any request failed
 * (non-2xx, connection error, timeout), since then the figures would describe something else.
 */
export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mosaic-load-"));
  try {
    const planFile = path.join(dir, "plan.json");
    await writeFile(planFile, JSON.stringify(plan));
    const limitMs = (plan.seconds + plan.warmupSeconds) * 1000 + SLACK_MS;
    const result = JSON.parse(await runScript(planFile, limitMs)) as LoadResult;
    if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
      throw new Error(
        `${plan.url}${plan.path}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
      );
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The last line the load process printed, once it exited cleanly within `limitMs`. */
function runScript(planFile: string, limitMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", LOAD_SCRIPT, planFile], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split("\n").at(-1);
      if (code === 0 && line) resolve(line);
      else reject(new Error(`the load process ended with ${signal ?? `code ${code}`} (limit ${limitMs} ms)`));
    });
  });
}
