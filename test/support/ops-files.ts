import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import { z } from "zod";

/** ops/: the Grafana dashboard and the Prometheus rules and configuration. */
export const OPS_DIR = path.resolve(__dirname, "../../ops");
export const RULES_FILE = path.join(OPS_DIR, "prometheus/mosaic-rules.yml");
export const RULES_TEST_FILE = path.join(OPS_DIR, "prometheus/mosaic-rules.test.yml");
export const PROMETHEUS_CONFIG = path.join(OPS_DIR, "prometheus/prometheus.yml");
export const DASHBOARD_FILE = path.join(OPS_DIR, "grafana/mosaic.json");

const alertRule = z.object({
  alert: z.string(),
  expr: z.string(),
  for: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type AlertRule = z.infer<typeof alertRule>;
const rulesFile = z.object({ groups: z.array(z.object({ name: z.string(), rules: z.array(alertRule) })) });

/** Every alert of mosaic-rules.yml (the file has no recording rules). */
export function loadRules(): AlertRule[] {
  return rulesFile.parse(parse(readFileSync(RULES_FILE, "utf8"))).groups.flatMap((group) => group.rules);
}

const ruleTestFile = z.object({
  rule_files: z.array(z.string()),
  tests: z.array(
    z.object({
      alert_rule_test: z.array(
        z.object({ alertname: z.string(), exp_alerts: z.array(z.object({}).passthrough()) }),
      ),
    }),
  ),
});

/** Every alert test case of mosaic-rules.test.yml: which alert, and whether it must fire. */
export function loadRuleTests(): { alertname: string; fires: boolean }[] {
  return ruleTestFile
    .parse(parse(readFileSync(RULES_TEST_FILE, "utf8")))
    .tests.flatMap((test) => test.alert_rule_test)
    .map((check) => ({ alertname: check.alertname, fires: check.exp_alerts.length > 0 }));
}

const datasourceRef = z.object({ type: z.string(), uid: z.string() });
const target = z.object({ datasource: datasourceRef, expr: z.string(), refId: z.string() });
const gridPos = z.object({ h: z.number(), w: z.number(), x: z.number(), y: z.number() });
const panel = z.object({
  id: z.number(),
  type: z.string(),
  title: z.string(),
  gridPos,
  datasource: datasourceRef.optional(),
  targets: z.array(target).optional(),
});
const variable = z.object({
  type: z.string(),
  name: z.string(),
  query: z.union([z.string(), z.object({ query: z.string() })]).optional(),
});
const dashboard = z.object({
  uid: z.string(),
  title: z.string(),
  schemaVersion: z.number(),
  templating: z.object({ list: z.array(variable) }),
  panels: z.array(panel),
});
export type Dashboard = z.infer<typeof dashboard>;

export function loadDashboard(): Dashboard {
  return dashboard.parse(JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")));
}

/**
 * The PromQL of the dashboard: every panel's queries, and the metric selector of each `label_values(metric,
 * label)` variable query (its label argument is no metric).
 */
export function dashboardExpressions(board: Dashboard): string[] {
  const queries = board.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  for (const variable of board.templating.list) {
    const query = typeof variable.query === "object" ? variable.query.query : undefined;
    const selector = query === undefined ? undefined : /^label_values\(\s*([^,]+),/.exec(query)?.[1];
    if (selector !== undefined) queries.push(selector);
  }
  return queries;
}

/** Grafana's variables in a query, replaced by values Prometheus accepts, to check the query with promtool. */
export function withoutGrafanaVariables(expr: string): string {
  return expr.replaceAll("$__rate_interval", "5m").replaceAll("$instance", ".*");
}

const NOT_METRICS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "and",
  "or",
  "unless",
  "inf",
  "nan",
]);

/**
 * The metric names a PromQL expression selects: every identifier left once strings, label matchers, ranges,
 * grouping clauses, numbers and function calls are taken out.
 */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const match of bare.matchAll(/(\d[\w.]*)|([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, number, identifier, call] = match;
    if (number !== undefined || identifier === undefined || call !== undefined) continue;
    if (!NOT_METRICS.has(identifier.toLowerCase())) names.add(identifier);
  }
  return [...names];
}

/**
 * Whether promtool is installed. Where CI says it must be (`MOSAIC_REQUIRE_PROMTOOL=1`), a missing promtool
 * fails the test instead of skipping it.
 */
export function skipWithoutPromtool(context: Mocha.Context): void {
  if (spawnSync("promtool", ["--version"]).error === undefined) return;
  if (process.env.MOSAIC_REQUIRE_PROMTOOL === "1") expect.fail("promtool is not installed");
  context.skip();
}

/** Runs promtool; its output, stdout and stderr together. */
export function promtool(args: readonly string[], cwd = OPS_DIR): { status: number | null; output: string } {
  const run = spawnSync("promtool", args, { cwd, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
