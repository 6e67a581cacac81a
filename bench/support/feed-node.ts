import { spawn, type ChildProcess } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { startMosaic } from "./processes";

const ROOT = path.resolve(__dirname, "../..");
const BUILT_ENTRY = path.join(ROOT, "dist/bin/mosaic.js");
/** What tsconfig.build.json compiles: dist/ is stale when any of these is newer than its entry point. */
const SOURCES = ["bin", "broker", "config", "lib", "mixins", "services", "moleculer.config.ts"];
const BUILD_TIMEOUT_MS = 300_000;

export interface NodeSettings {
  dataDir: string;
  /** The token key the tokens were minted with. */
  secret: string;
  port: number;
  built: boolean;
  /** When set, the node writes a V8 CPU profile there as it exits. */
  profileDir?: string;
}

/** One embedded node on the seeded data, with the celebrity threshold of the mode under test. */
export function startFeedNode(
  settings: NodeSettings,
  threshold: number,
): Promise<{ url: string; child: ChildProcess }> {
  return startMosaic(
    {
      PORT: String(settings.port),
      DATA_DIR: settings.dataDir,
      JWT_SECRET: settings.secret,
      CELEBRITY_THRESHOLD: String(threshold),
      // Ids of the node must not collide with the seeder's (worker 1000).
      WORKER_ID: "1",
      LOG_LEVEL: "warn",
      RATE_LIMITS: "off",
      ...(settings.profileDir !== undefined && {
        NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${settings.profileDir}`,
      }),
    },
    { built: settings.built },
  );
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
