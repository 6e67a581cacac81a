import { mkdtemp, rm, writeFile, copyFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { parse, stringify } from "yaml";
import {
  PROMETHEUS_CONFIG,
  RULES_FILE,
  loadRuleTests,
  loadRules,
  metricNamesIn,
  promtool,
  skipWithoutPromtool,
} from "../../support/ops-files";

/** What issue #14 asks the alerts to watch, each by the metric its rule reads. */
const WATCHED = {
  "error rate": "mosaic_http_requests_total",
  "p99 per route": "mosaic_http_request_duration_seconds_bucket",
  "fan-out backlog age": "mosaic_fanout_jobs_oldest_pending_age_seconds",
  "Redis fallback": "mosaic_rate_limit_redis_fallback_active",
  "store errors": "mosaic_store_errors_total",
  "search lag": "mosaic_search_jobs_oldest_pending_age_seconds",
  "transcoder failures": "mosaic_transcode_failures_total",
};

describe("the Prometheus alert rules (ops/prometheus)", () => {
  it("pass promtool check rules", function () {
    skipWithoutPromtool(this);
    const check = promtool(["check", "rules", RULES_FILE]);
    expect(check.output).to.match(/SUCCESS: \d+ rules found/);
    expect(check.status, check.output).to.equal(0);
  });

  it("fire on the series of mosaic-rules.test.yml that should fire them, and only on those (promtool test rules)", function () {
    skipWithoutPromtool(this);
    const run = promtool(["test", "rules", "mosaic-rules.test.yml"], path.dirname(RULES_FILE));
    expect(run.output).to.not.include("FAILED");
    expect(run.status, run.output).to.equal(0);
  });

  it("are each tested firing and not firing", () => {
    const cases = loadRuleTests();
    for (const { alert } of loadRules()) {
      expect(
        cases.some((c) => c.alertname === alert && c.fires),
        `${alert} fires`,
      ).to.equal(true);
      expect(
        cases.some((c) => c.alertname === alert && !c.fires),
        `${alert} stays quiet`,
      ).to.equal(true);
    }
  });

  it("wait before firing, say how bad it is and how to look into it", () => {
    const rules = loadRules();
    expect(rules.length).to.be.at.least(Object.keys(WATCHED).length);
    for (const rule of rules) {
      expect(rule.for, rule.alert).to.match(/^\d+[smh]$/);
      expect(rule.labels?.severity, rule.alert).to.be.oneOf(["warning", "critical"]);
      expect(rule.annotations?.summary, rule.alert).to.be.a("string").and.not.equal("");
      expect(rule.annotations?.description, rule.alert).to.be.a("string").and.not.equal("");
      expect(rule.alert).to.match(/^Mosaic[A-Z]\w+$/);
    }
  });

  it("watch everything the issue names", () => {
    const read = new Set(loadRules().flatMap((rule) => metricNamesIn(rule.expr)));
    for (const [what, metric] of Object.entries(WATCHED)) expect([...read], what).to.include(metric);
  });
});

describe("the example Prometheus configuration (ops/prometheus/prometheus.yml)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-prometheus-config-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("loads the rules and scrapes Kubernetes pods by annotation", () => {
    const config = parse(readFileSync(PROMETHEUS_CONFIG, "utf8")) as unknown;
    const text = JSON.stringify(config);
    expect(text).to.include('"rule_files":["mosaic-rules.yml"]');
    expect(text).to.include('"kubernetes_sd_configs":[{"role":"pod"}]');
    expect(text).to.include("__meta_kubernetes_pod_annotation_prometheus_io_scrape");
  });

  it("passes promtool check config", async function () {
    skipWithoutPromtool(this);
    await copyFile(RULES_FILE, path.join(dir, "mosaic-rules.yml"));
    let text = readFileSync(PROMETHEUS_CONFIG, "utf8");
    // Debian's promtool is built without Kubernetes discovery: then the rest of the file is checked without it.
    const probe = path.join(dir, "probe.yml");
    await writeFile(
      probe,
      "scrape_configs:\n  - job_name: probe\n    kubernetes_sd_configs: [{ role: pod }]\n",
    );
    if (promtool(["check", "config", probe], dir).output.includes("kubernetes_sd_configs not found")) {
      text = stringify(withoutKubernetesDiscovery(parse(text) as unknown));
    }
    await writeFile(path.join(dir, "prometheus.yml"), text);
    const check = promtool(["check", "config", "prometheus.yml"], dir);
    expect(check.output).to.include("SUCCESS: prometheus.yml is valid prometheus config file syntax");
    expect(check.status, check.output).to.equal(0);
  });
});

/** The configuration with each job's Kubernetes discovery replaced by an empty static list. */
function withoutKubernetesDiscovery(config: unknown): unknown {
  if (typeof config !== "object" || config === null || !("scrape_configs" in config)) return config;
  const jobs = Array.isArray(config.scrape_configs) ? (config.scrape_configs as unknown[]) : [];
  return {
    ...config,
    scrape_configs: jobs.map((job) => {
      if (typeof job !== "object" || job === null || !("kubernetes_sd_configs" in job)) return job;
      const { kubernetes_sd_configs: _discovery, ...rest } = job;
      return { ...rest, static_configs: [] };
    }),
  };
}
