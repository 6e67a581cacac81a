import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

const ROOT = path.resolve(__dirname, "../..");
const DIST = path.join(ROOT, "web", "dist");
/** Issue #13: what a first visit downloads before the page can run. */
const INITIAL_JS_BUDGET = 150 * 1024;

describe("the web client's bundle", function () {
  this.timeout(120_000);
  before(() => {
    execFileSync(process.execPath, ["--import", "tsx", "scripts/build-web.ts", "--if-stale"], { cwd: ROOT });
  });

  it("loads at most 150 KB of gzipped JavaScript at first", () => {
    const index = readFileSync(path.join(DIST, "index.html"), "utf8");
    // The entry script and what it preloads: the JavaScript of a first visit.
    const scripts = [
      ...index.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+)"/g),
    ].map((m) => m[1] as string);
    expect(scripts.length).to.be.at.least(1);
    const bytes = scripts.reduce(
      (sum, src) => sum + gzipSync(readFileSync(path.join(DIST, src)), { level: 9 }).length,
      0,
    );
    console.log(
      `      initial JavaScript: ${(bytes / 1024).toFixed(1)} KB gzipped in ${scripts.length} file(s)`,
    );
    expect(bytes).to.be.at.most(INITIAL_JS_BUDGET);
  });
});
