import { expect } from "chai";
import { idAtTime } from "../../../lib/ids/snowflake";
import { NodeMetrics } from "../../../lib/metrics";
import { scrape } from "./scrape";

describe("the stream metrics", () => {
  it("report the open streams, and each live event's age from its making to its write, per kind", async () => {
    const metrics = new NodeMetrics();
    let open = 3;
    metrics.streams.watch(() => open);
    const now = Date.parse("2026-12-06T12:00:00Z");
    const message = { id: idAtTime(now - 200), event: "message" } as const;
    metrics.streams.delivered({ ...message, data: {} } as never, now);
    // A feed event's own id is where its stream resumes; its age is the post's.
    metrics.streams.delivered(
      { id: idAtTime(now - 5), event: "feed", data: { postId: idAtTime(now - 3_000) } },
      now,
    );
    let samples = await scrape(metrics);
    expect(samples.get("mosaic_streams_open")).to.equal(3);
    expect(samples.get('mosaic_stream_delivery_seconds_count{event="message"}')).to.equal(1);
    expect(samples.get('mosaic_stream_delivery_seconds_bucket{le="0.1",event="message"}')).to.equal(0);
    expect(samples.get('mosaic_stream_delivery_seconds_bucket{le="0.25",event="message"}')).to.equal(1);
    expect(samples.get('mosaic_stream_delivery_seconds_bucket{le="2.5",event="feed"}')).to.equal(0);
    expect(samples.get('mosaic_stream_delivery_seconds_bucket{le="5",event="feed"}')).to.equal(1);
    expect(samples.get('mosaic_stream_delivery_seconds_count{event="notification"}') ?? 0).to.equal(0);
    open = 1;
    samples = await scrape(metrics);
    expect(samples.get("mosaic_streams_open")).to.equal(1);
  });
});
