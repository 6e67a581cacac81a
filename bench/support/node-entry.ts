import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const BUILT_ENTRY = path.join(ROOT, "dist/bin/mosaic.js");
/** What tsconfig.build.json compiles: dist/ is stale when any of these is newer than its entry point. */
const SOURCES = ["bin", "broker", "config", "lib", "mixins", "services", "moleculer.config.ts"];
const BUILD_TIMEOUT_MS = 300_000;

/** The arguments that start a node: the compiled output of `npm run build` as deployed, or the sources through tsx. */
export function nodeEntry(built: boolean): string[] {
  return built ? [BUILT_ENTRY] : ["--import", "tsx", path.join(ROOT, "bin/mosaic.ts")];
}

/** `chooseEntry` for a bench's command line: `--built` compiles first. */
export function entryFromArgs(
  argv: readonly string[] = process.argv,
): Promise<{ built: boolean; why: string }> {
  return chooseEntry(argv.includes("--built"));
}

/**
 * Whether to run the compiled node, and why: `--built` compiles first; otherwise dist/ is used only when it
 * is at least as new as every source, since a stale build would measure code that is no longer there.
 */
export async function chooseEntry(build: boolean): Promise<{ built: boolean; why: string }> {
  if (build) {
    await compile();
    return { built: true, why: "dist/ (compiled for this run)" };
  }
  const entry = await stat(BUILT_ENTRY).catch(() => undefined);
  if (entry === undefined) return { built: false, why: "tsx (no dist/; pass --built to compile)" };
  const newest = await newestSource();
  if (newest > entry.mtimeMs) {
    return { built: false, why: "tsx (dist/ is older than the sources; pass --built to recompile)" };
  }
  return { built: true, why: "dist/ (up to date)" };
}

async function newestSource(): Promise<number> {
  let newest = 0;
  for (const source of SOURCES) {
    const full = path.join(ROOT, source);
    const info = await stat(full).catch(() => undefined);
    if (info === undefined) continue;
    const files = info.isDirectory()
      ? (await readdir(full, { recursive: true }))
          .filter((f) => f.endsWith(".ts"))
          .map((f) => path.join(full, f))
      : [full];
    for (const file of files) newest = Math.max(newest, (await stat(file)).mtimeMs);
  }
  return newest;
}

function compile(): Promise<void> {
  return new Promise((resolve, reject) => {
    const tsc = require.resolve("typescript/bin/tsc");
    const child = spawn(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
      cwd: ROOT,
      stdio: "inherit",
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), BUILD_TIMEOUT_MS);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`tsc -p tsconfig.build.json failed (${code})`));
    });
  });
}
