import { expect } from "chai";
import { createPost } from "../support/media";
import { dashboardExpressions, loadDashboard, loadRules, metricNamesIn } from "../support/ops-files";
import { api, signup, startTestNode, type TestNode } from "../support/test-node";

/** The series names a scrape can hold: each family, and a histogram's or summary's series beside it. */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, family, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (family === undefined) continue;
    names.add(family);
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(family + suffix);
    if (type === "summary") for (const suffix of ["_sum", "_count"]) names.add(family + suffix);
  }
  for (const [, sample] of text.matchAll(/^([a-zA-Z_:][\w:]*)[{ ]/gm)) if (sample) names.add(sample);
  return names;
}

describe("the dashboard's and the alerts' metrics, on a real node", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(() => t.stop());

  it("are all exposed once the node has served some traffic: a renamed metric fails here", async () => {
    const ada = await signup(t.url);
    const bob = await signup(t.url);
    expect(
      (await api(t.url, "POST", `/api/users/${ada.username}/follow`, { token: bob.token })).status,
    ).to.equal(200);
    await createPost(t.url, ada, "hello #metrics");
    expect((await api(t.url, "GET", "/api/feed", { token: bob.token })).status).to.equal(200);
    expect((await api(t.url, "GET", "/api/notifications", { token: ada.token })).status).to.equal(200);
    expect((await api(t.url, "GET", "/api/search?q=metrics", { token: ada.token })).status).to.equal(200);
    const scraped = await fetch(`${t.url}/metrics`);
    expect(scraped.status).to.equal(200);
    const exposed = exposedNames(await scraped.text());

    const used = new Map<string, string>();
    for (const expr of dashboardExpressions(loadDashboard())) {
      for (const name of metricNamesIn(expr)) used.set(name, "the dashboard");
    }
    for (const rule of loadRules()) for (const name of metricNamesIn(rule.expr)) used.set(name, rule.alert);
    // The parsing found the queries: an empty list would pass whatever the node exposes.
    expect(used.size).to.be.at.least(20);
    const missing = [...used].filter(([name]) => !exposed.has(name)).map(([name, by]) => `${name} (${by})`);
    expect(missing).to.deep.equal([]);
  });
});
