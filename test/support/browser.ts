import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { freePort } from "./free-port";

const ROOT = path.resolve(__dirname, "../..");
/** Debian's Chromium (`.ci/run` installs the package when it is missing); CHROMIUM_PATH names another. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const AXE = require.resolve("axe-core/axe.min.js");
let axeSource: string | undefined;

export const PHONE = { width: 375, height: 812 };
export const DESKTOP = { width: 1280, height: 900 };

export interface RunningMosaic {
  url: string;
  /** What the node printed, for a failure's message. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * `npm start` as a person runs it (which builds the web client when it is missing or stale), on a free port and
 * a fresh DATA_DIR, rate limits off (one test signs up more people than a client may in an hour).
 */
export async function startMosaic(): Promise<RunningMosaic> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-browser-"));
  const port = await freePort();
  let log = "";
  const child: ChildProcess = spawn("npm", ["start"], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, RATE_LIMITS: "off", LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: npm, the shell and the node are stopped together.
    detached: true,
  });
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = once(child, "exit");
      process.kill(-child.pid, "SIGTERM");
      const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`npm start did not become ready:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, log: () => log, stop };
}

/** Headless Chromium with the flags CI needs (no sandbox as root, nothing fetched in the background). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

/** A browser context (its own storage: one person) at `viewport`, its page errors kept for the assertions. */
export async function personIn(
  browser: Browser,
  baseURL: string,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ baseURL, viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  return { context, page, errors };
}

/** Signs a context in with a token got through the API, as the client keeps it. */
export async function signInWithToken(context: BrowserContext, token: string): Promise<void> {
  await context.addInitScript((t) => localStorage.setItem("mosaic.token", t), token);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core's serious and critical findings on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated over the DevTools protocol: a script tag would be inline script, which the page's policy refuses.
  axeSource ??= readFileSync(AXE, "utf8");
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Polls `check` until it holds; on time-out fails naming `what` (the assertion a person would make). */
export async function until(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
