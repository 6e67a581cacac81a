/**
 * Builds the web client (web/ → web/dist) with Vite.
 *
 *   tsx scripts/build-web.ts              build
 *   tsx scripts/build-web.ts --if-stale   build only when web/dist is missing or older than a source of it
 *
 * `npm start` runs the second, so a fresh clone or a changed client is built before the gateway serves it.
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "..");
const web = path.join(root, "web");
const built = path.join(web, "dist", "index.html");

/** What a build reads: the client's sources and config, and the installed packages it bundles. */
const SOURCES = ["src", "public", "index.html", "vite.config.mts", "tsconfig.json"].map((p) =>
  path.join(web, p),
);

function newest(file: string): number {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(file).reduce((max, name) => Math.max(max, newest(path.join(file, name))), stat.mtimeMs);
}

function isStale(): boolean {
  const builtAt = newest(built);
  if (builtAt === 0) return true;
  const sourcesAt = Math.max(...SOURCES.map(newest), newest(path.join(root, "package-lock.json")));
  return sourcesAt > builtAt;
}

async function main(): Promise<void> {
  if (process.argv.includes("--if-stale") && !isStale()) return;
  const { build } = await import("vite");
  console.log("building the web client (web/ → web/dist)…");
  await build({ configFile: path.join(web, "vite.config.mts"), logLevel: "warn" });
}

main().catch((err: unknown) => {
  console.error("the web client did not build:", err);
  process.exit(1);
});
