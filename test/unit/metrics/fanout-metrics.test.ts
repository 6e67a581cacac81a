import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { accountTables } from "../../../lib/accounts/tables";
import { SnowflakeGenerator } from "../../../lib/ids";
import { NodeMetrics } from "../../../lib/metrics";
import { LevelStore } from "../../../lib/store/level";
import { Fanout, type FanoutJob } from "../../../lib/timeline/fanout";
import { timelineTables } from "../../../lib/timeline/tables";
import { scrape } from "./scrape";

describe("the fan-out metrics", () => {
  let dir: string;
  let store: LevelStore;
  let clock: number;
  let metrics: NodeMetrics;
  let fanout: Fanout;
  const ids = new SnowflakeGenerator({ workerId: 914 });
  /** Followers in pages of two: [f1, f2], then [f3]. */
  const followers = ["901", "902", "903"];
  const delivered: string[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-fanout-metrics-"));
    store = new LevelStore({ path: path.join(dir, "db") });
    await store.open([...accountTables, ...timelineTables]);
    clock = Date.parse("2030-01-01T00:00:00.000Z");
    metrics = new NodeMetrics();
    delivered.length = 0;
    fanout = new Fanout({
      store,
      graph: {
        followerIdsPage: (_userId, pageToken) =>
          Promise.resolve(
            pageToken === undefined
              ? { ids: followers.slice(0, 2), nextPageToken: "2" }
              : { ids: followers.slice(2), nextPageToken: null },
          ),
        isFollowing: () => Promise.resolve(true),
      },
      closeFriends: { ids: () => Promise.resolve([]) },
      deliver: (userIds) => {
        delivered.push(...userIds);
        return Promise.resolve();
      },
      celebrityThreshold: 1000,
      holder: "metrics-test",
      pageSize: 2,
      now: () => clock,
      metrics: metrics.fanout,
    });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function recordJob(): Promise<FanoutJob> {
    const job = { postId: await ids.next(), authorId: "900" };
    await fanout.record(job);
    return job;
  }

  it("report the whole backlog and its oldest job from each scan, whatever age the scan asks for", async () => {
    const first = await recordJob();
    clock += 4_000;
    const second = await recordJob();
    clock += 6_000;

    // The resumer asks for jobs older than 3 s; the backlog counts the younger ones too.
    expect((await fanout.pending(60_000)).length).to.equal(0);
    let samples = await scrape(metrics);
    expect(samples.get("mosaic_fanout_jobs_pending")).to.equal(2);
    expect(samples.get("mosaic_fanout_jobs_oldest_pending_age_seconds")).to.equal(10);

    expect(await fanout.run(first)).to.equal(true);
    await fanout.pending(3_000);
    samples = await scrape(metrics);
    expect(samples.get("mosaic_fanout_jobs_pending")).to.equal(1);
    expect(samples.get("mosaic_fanout_jobs_oldest_pending_age_seconds")).to.equal(6);

    expect(await fanout.run(second)).to.equal(true);
    await fanout.pending(3_000);
    samples = await scrape(metrics);
    expect(samples.get("mosaic_fanout_jobs_pending")).to.equal(0);
    expect(samples.get("mosaic_fanout_jobs_oldest_pending_age_seconds")).to.equal(0);
  });

  it("count every timeline row the jobs wrote: the author's own and one per follower", async () => {
    await fanout.run(await recordJob());
    await fanout.run(await recordJob());
    expect(delivered).to.have.length(8);
    expect((await scrape(metrics)).get("mosaic_fanout_rows_written_total")).to.equal(8);
  });
});
