import { Gauge, Histogram, type Registry } from "prom-client";
import type { StreamEvent } from "../contracts/events";
import { idTimestamp } from "../ids/snowflake";
import { METRIC_PREFIX } from "./process-metrics";

/** api.md promises a notification or message on an open stream within 1 s: the buckets are dense below it. */
const DELIVERY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15];

/**
 * A gateway's open `/api/stream`s and how long live events take to reach them: from the event's making (the
 * time in its Snowflake id; for `feed`, the post's) to its write on the stream. Replays after a reconnect are not
 * counted: their age is how long the client was away, not how slow delivery is.
 */
export class StreamMetrics {
  /** Read by the gauge when scraped: a box, since the gauge's `collect` has its own `this`. */
  private readonly open: { count: () => number } = { count: () => 0 };
  private readonly delivery: Record<StreamEvent["event"], Histogram.Internal<"event">>;

  constructor(registry: Registry) {
    const open = this.open;
    new Gauge({
      name: `${METRIC_PREFIX}streams_open`,
      help: "Event streams (GET /api/stream) open on this gateway node.",
      registers: [registry],
      collect() {
        this.set(open.count());
      },
    });
    const histogram = new Histogram({
      name: `${METRIC_PREFIX}stream_delivery_seconds`,
      help: "Time from a live event's making (its id's time; a post's for feed events) to its write on an open stream.",
      labelNames: ["event"],
      buckets: DELIVERY_BUCKETS,
      registers: [registry],
    });
    // Bound once: a delivery costs one observation, not a label lookup.
    this.delivery = {
      notification: histogram.labels({ event: "notification" }),
      message: histogram.labels({ event: "message" }),
      feed: histogram.labels({ event: "feed" }),
    };
  }

  /** What the gauge reads when scraped: the node's open streams. */
  watch(open: () => number): void {
    this.open.count = open;
  }

  delivered(event: StreamEvent, now = Date.now()): void {
    const madeAt = idTimestamp(event.event === "feed" ? event.data.postId : event.id).getTime();
    this.delivery[event.event].observe(Math.max(0, now - madeAt) / 1000);
  }
}
