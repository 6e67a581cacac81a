import { expect } from "chai";
import { NodeMetrics } from "../../../lib/metrics";
import { scrape } from "./scrape";

describe("the cache metrics", () => {
  it("report each cache of posts' estimated bytes, as they are at the scrape, against its budget", async () => {
    const metrics = new NodeMetrics();
    let held = 1_000;
    metrics.caches.watch("postRows", 4_096, () => held);
    metrics.caches.watch("postJson", 8_192, () => 0);
    let samples = await scrape(metrics);
    expect(samples.get('mosaic_cache_bytes{cache="post_rows"}')).to.equal(1_000);
    expect(samples.get('mosaic_cache_budget_bytes{cache="post_rows"}')).to.equal(4_096);
    expect(samples.get('mosaic_cache_budget_bytes{cache="post_json"}')).to.equal(8_192);
    expect(samples.has('mosaic_cache_bytes{cache="hydration"}'), "not watched here").to.equal(false);
    held = 3_000;
    samples = await scrape(metrics);
    expect(samples.get('mosaic_cache_bytes{cache="post_rows"}')).to.equal(3_000);
  });
});
