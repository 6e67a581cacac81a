import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { FsBlobStore } from "../../../lib/blobs";
import { SnowflakeGenerator } from "../../../lib/ids";
import { MediaLibrary } from "../../../lib/media-library/media-library";
import { JOB_SHARDS, media, mediaTables, transcodeJobs } from "../../../lib/media-library/tables";
import { NodeMetrics } from "../../../lib/metrics";
import { LevelStore } from "../../../lib/store/level";
import { scrape } from "./scrape";

describe("the transcoder's metrics", () => {
  it("count the jobs running and time each one by kind and outcome, a job that throws as failed", async () => {
    const metrics = new NodeMetrics();
    let release: () => void = () => undefined;
    const running = metrics.transcoder.measure(
      "video",
      () => new Promise<{ ok: boolean }>((resolve) => (release = () => resolve({ ok: true }))),
    );
    expect((await scrape(metrics)).get("mosaic_transcoder_jobs_running")).to.equal(1);
    release();
    await running;
    await metrics.transcoder.measure("image", () => Promise.resolve({ ok: false }));
    const thrown = await metrics.transcoder
      .measure("image", () => Promise.reject(new Error("ffmpeg died")))
      .catch((err: unknown) => err);
    expect(thrown).to.be.instanceOf(Error);

    const samples = await scrape(metrics);
    expect(samples.get("mosaic_transcoder_jobs_running")).to.equal(0);
    const count = (labels: string) => samples.get(`mosaic_transcode_duration_seconds_count{${labels}}`);
    expect(count('kind="video",outcome="ok"')).to.equal(1);
    expect(count('kind="image",outcome="failed"')).to.equal(2);
    expect(count('kind="image",outcome="ok"')).to.equal(undefined);
  });
});

describe("the transcode job metrics (the media library)", () => {
  let dir: string;
  let store: LevelStore;
  let clock: number;
  let metrics: NodeMetrics;
  let library: MediaLibrary;
  const ids = new SnowflakeGenerator({ workerId: 915 });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-transcode-metrics-"));
    store = new LevelStore({ path: path.join(dir, "db") });
    await store.open([...mediaTables]);
    clock = Date.parse("2030-01-01T00:00:00.000Z");
    metrics = new NodeMetrics();
    library = new MediaLibrary({
      store,
      blobs: new FsBlobStore({ root: path.join(dir, "blobs") }),
      ids,
      dispatch: () => undefined,
      urlOf: (key) => Promise.resolve(`http://files.test/${key}`),
      now: () => clock,
      metrics: metrics.transcodeJobs,
    });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A job sent now, as an upload leaves it. */
  async function sendJob(kind: "image" | "video") {
    const mediaId = await ids.next();
    const job = { mediaId, ownerId: "77", kind, originalKey: `originals/77/${mediaId}` };
    await store.put(media, { owner_id: "77", media_id: mediaId, kind, original_key: job.originalKey });
    await store.put(transcodeJobs, {
      shard: Number(BigInt(mediaId) % BigInt(JOB_SHARDS)),
      media_id: mediaId,
      owner_id: "77",
      attempts: 1,
      sent_at: new Date(clock),
    });
    return job;
  }

  it("report the queue and its oldest job from the resumer's scan, and count media that failed for good", async () => {
    const video = await sendJob("video");
    clock += 20_000;
    await sendJob("image");
    clock += 10_000;

    // The resumer asks for jobs sent over a minute ago; the queue counts the younger ones too.
    expect(await library.staleJobs(60_000)).to.deep.equal([]);
    let samples = await scrape(metrics);
    expect(samples.get("mosaic_transcode_jobs_pending")).to.equal(2);
    expect(samples.get("mosaic_transcode_jobs_oldest_pending_age_seconds")).to.equal(30);
    expect(samples.get('mosaic_transcode_failures_total{kind="video"}')).to.equal(0);

    await library.recordFailure(video, "moov atom not found");
    await library.staleJobs(60_000);
    samples = await scrape(metrics);
    expect(samples.get('mosaic_transcode_failures_total{kind="video"}')).to.equal(1);
    expect(samples.get('mosaic_transcode_failures_total{kind="image"}')).to.equal(0);
    expect(samples.get("mosaic_transcode_jobs_pending")).to.equal(1);
    expect(samples.get("mosaic_transcode_jobs_oldest_pending_age_seconds")).to.equal(10);
  });
});
