import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { stringify } from "yaml";
import {
  dashboardExpressions,
  loadDashboard,
  metricNamesIn,
  promtool,
  skipWithoutPromtool,
  withoutGrafanaVariables,
} from "../../support/ops-files";

/** What issue #14 asks the dashboard to show, each by a metric its panels read. */
const SHOWN = {
  "request rate and error rate per route": "mosaic_http_requests_total",
  "p99 per route": "mosaic_http_request_duration_seconds_bucket",
  "fan-out backlog": "mosaic_fanout_jobs_pending",
  "fan-out oldest age": "mosaic_fanout_jobs_oldest_pending_age_seconds",
  "actors held": "mosaic_actors_held",
  "Redis fallback": "mosaic_rate_limit_redis_fallback_active",
  "store errors": "mosaic_store_errors_total",
  "store latency": "mosaic_store_operation_duration_seconds_bucket",
  "search lag": "mosaic_search_index_lag_seconds_bucket",
  "search errors": "mosaic_search_errors_total",
  "transcoder queue": "mosaic_transcode_jobs_pending",
  "transcoder failures": "mosaic_transcode_failures_total",
  "event-loop lag": "mosaic_nodejs_eventloop_lag_p99_seconds",
  memory: "mosaic_process_resident_memory_bytes",
};

describe("the Grafana dashboard (ops/grafana/mosaic.json)", () => {
  const board = loadDashboard();

  it("is a current dashboard whose every query goes to the Prometheus chosen in its datasource variable", () => {
    expect(board.schemaVersion).to.be.at.least(36);
    const datasource = board.templating.list.find((v) => v.type === "datasource");
    expect(datasource?.query).to.equal("prometheus");
    const ref = { type: "prometheus", uid: `\${${datasource?.name ?? "?"}}` };
    const queried = board.panels.filter((p) => p.type !== "row");
    for (const p of queried) {
      expect(p.datasource, p.title).to.deep.equal(ref);
      expect(p.targets?.length ?? 0, p.title).to.be.above(0);
      for (const t of p.targets ?? []) expect(t.datasource, p.title).to.deep.equal(ref);
    }
  });

  it("has panels with ids of their own, laid out within Grafana's 24 columns without overlapping", () => {
    const ids = board.panels.map((p) => p.id);
    expect(new Set(ids).size).to.equal(ids.length);
    const taken = new Set<string>();
    for (const { title, gridPos } of board.panels) {
      expect(gridPos.x + gridPos.w, title).to.be.at.most(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          expect(taken.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).to.equal(false);
          taken.add(`${x},${y}`);
        }
      }
    }
  });

  it("shows everything the issue names", () => {
    const read = new Set(dashboardExpressions(board).flatMap(metricNamesIn));
    for (const [what, metric] of Object.entries(SHOWN)) expect([...read], what).to.include(metric);
  });

  it("asks only valid PromQL (each query checked by promtool as a recording rule)", async function () {
    skipWithoutPromtool(this);
    const dir = await mkdtemp(path.join(tmpdir(), "mosaic-dashboard-promql-"));
    try {
      const rules = dashboardExpressions(board).map((expr, i) => ({
        record: `dashboard:query_${i}`,
        expr: withoutGrafanaVariables(expr),
      }));
      await writeFile(path.join(dir, "queries.yml"), stringify({ groups: [{ name: "dashboard", rules }] }));
      const check = promtool(["check", "rules", "queries.yml"], dir);
      expect(check.output).to.include(`SUCCESS: ${rules.length} rules found`);
      expect(check.status, check.output).to.equal(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the metric names of a PromQL expression", () => {
  it("are its selectors, not its functions, labels, label values, ranges or numbers", () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (route, le) (rate(mosaic_a_bucket{route!~"GET /x|y_z",instance=~"$instance"}[$__rate_interval]))) > 1\n' +
          "and on (route) sum by (route) (rate(mosaic_b_count[5m])) > 0.1 or vector(0) unless mosaic_c offset 5m",
      ),
    ).to.deep.equal(["mosaic_a_bucket", "mosaic_b_count", "mosaic_c"]);
    expect(metricNamesIn("max(mosaic_d) / ignoring(kind) group_left mosaic_e == bool 1e3")).to.deep.equal([
      "mosaic_d",
      "mosaic_e",
    ]);
  });
});
