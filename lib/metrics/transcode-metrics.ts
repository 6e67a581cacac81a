import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { METRIC_PREFIX } from "./process-metrics";

/** Seconds: an image takes about a second, a minute of video a few tens; the transcode timeout ends the tail. */
const TRANSCODE_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

type MediaKind = "image" | "video";

/**
 * The transcode queue as the media service sees it: job rows sent and not finished (the whole cluster's, read by
 * every media node's resumer scan: aggregate with `max`), and media that ended `failed`.
 */
export class TranscodeJobMetrics {
  readonly pending: Gauge;
  readonly oldestPendingAge: Gauge;
  private readonly failures: Counter<"kind">;

  constructor(registry: Registry) {
    this.pending = new Gauge({
      name: `${METRIC_PREFIX}transcode_jobs_pending`,
      help: "Transcode jobs sent and not finished, in the whole cluster, at this node's last scan.",
      registers: [registry],
    });
    this.oldestPendingAge = new Gauge({
      name: `${METRIC_PREFIX}transcode_jobs_oldest_pending_age_seconds`,
      help: "Time since the oldest unfinished transcode job was last sent (0 when none), at this node's last scan.",
      registers: [registry],
    });
    this.failures = new Counter({
      name: `${METRIC_PREFIX}transcode_failures_total`,
      help: "Media whose transcoding failed for good (unreadable, or given up after retries), by kind.",
      labelNames: ["kind"],
      registers: [registry],
    });
    for (const kind of ["image", "video"]) this.failures.inc({ kind }, 0);
  }

  /** What one scan of the job rows found; `oldestSentAt` undefined when there were none. */
  scanned(jobs: number, oldestSentAt: number | undefined, now: number): void {
    this.pending.set(jobs);
    this.oldestPendingAge.set(oldestSentAt === undefined ? 0 : Math.max(0, now - oldestSentAt) / 1000);
  }

  failed(kind: MediaKind): void {
    this.failures.inc({ kind });
  }
}

/** A transcoder node's own work: jobs it is running now, and how long each took. */
export class TranscoderMetrics {
  readonly running: Gauge;
  private readonly duration: Histogram<"kind" | "outcome">;

  constructor(registry: Registry) {
    this.running = new Gauge({
      name: `${METRIC_PREFIX}transcoder_jobs_running`,
      help: "Transcode jobs this node is running now (jobs queued behind its concurrency are not counted).",
      registers: [registry],
    });
    this.duration = new Histogram({
      name: `${METRIC_PREFIX}transcode_duration_seconds`,
      help: "Time this node took to transcode one media, by kind and outcome (ok or failed).",
      labelNames: ["kind", "outcome"],
      buckets: TRANSCODE_BUCKETS,
      registers: [registry],
    });
  }

  /** Runs one job, counted while it runs and timed whatever its end. */
  async measure<T extends { ok: boolean }>(kind: MediaKind, job: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let outcome = "failed";
    this.running.inc();
    try {
      const result = await job();
      if (result.ok) outcome = "ok";
      return result;
    } finally {
      this.running.dec();
      this.duration.observe({ kind, outcome }, (performance.now() - started) / 1000);
    }
  }
}
