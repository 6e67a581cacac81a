import { Registry } from "prom-client";
import { ActionMetrics } from "./action-metrics";
import { ActorMetrics } from "./actor-metrics";
import { CacheMetrics } from "./cache-metrics";
import { FanoutMetrics } from "./fanout-metrics";
import { HttpMetrics } from "./http-metrics";
import { processMetrics } from "./process-metrics";
import { PushMetrics } from "./push-metrics";
import { RateLimitMetrics } from "./rate-limit-metrics";
import { SearchMetrics } from "./search-metrics";
import { StoreMetrics } from "./store-metrics";
import { StreamMetrics } from "./stream-metrics";
import { TranscodeJobMetrics, TranscoderMetrics } from "./transcode-metrics";

/** What serves `/metrics`: the gateway's alias and the ops server of a node without the gateway. */
export interface MetricsEndpoint {
  /** The Prometheus text exposition of everything the node measures. */
  render(): Promise<string>;
  /** The `Content-Type` of what render() returns. */
  readonly contentType: string;
}

interface RegisteredOnUse {
  store?: StoreMetrics;
  fanout?: FanoutMetrics;
  actors?: ActorMetrics;
  rateLimits?: RateLimitMetrics;
  transcodeJobs?: TranscodeJobMetrics;
  transcoder?: TranscoderMetrics;
  streams?: StreamMetrics;
  push?: PushMetrics;
  caches?: CacheMetrics;
}

/**
 * One node's metrics, in a registry of its own: tests start several nodes in one process, and prom-client's
 * global registry would mix their counts (or refuse the second node's metrics as duplicates).
 *
 * The metrics of one part of the work (the store, fan-out, actors, rate limits, transcoding) are registered when
 * the part that records them is built, so a node exposes what it does: a gateway shows no fan-out backlog of 0
 * that a dashboard would take for a reading.
 */
export class NodeMetrics implements MetricsEndpoint {
  readonly registry = new Registry();
  readonly actions = new ActionMetrics(this.registry);
  readonly http = new HttpMetrics(this.registry);
  readonly search = new SearchMetrics(this.registry);
  /** The process's metrics, started with the first node rather than its first scrape: event-loop lag needs samples. */
  private readonly process = processMetrics();
  private readonly parts: RegisteredOnUse = {};

  get store(): StoreMetrics {
    return (this.parts.store ??= new StoreMetrics(this.registry));
  }

  get fanout(): FanoutMetrics {
    return (this.parts.fanout ??= new FanoutMetrics(this.registry));
  }

  get actors(): ActorMetrics {
    return (this.parts.actors ??= new ActorMetrics(this.registry));
  }

  get rateLimits(): RateLimitMetrics {
    return (this.parts.rateLimits ??= new RateLimitMetrics(this.registry));
  }

  get transcodeJobs(): TranscodeJobMetrics {
    return (this.parts.transcodeJobs ??= new TranscodeJobMetrics(this.registry));
  }

  get transcoder(): TranscoderMetrics {
    return (this.parts.transcoder ??= new TranscoderMetrics(this.registry));
  }

  get push(): PushMetrics {
    return (this.parts.push ??= new PushMetrics(this.registry));
  }

  get caches(): CacheMetrics {
    return (this.parts.caches ??= new CacheMetrics(this.registry));
  }

  get streams(): StreamMetrics {
    return (this.parts.streams ??= new StreamMetrics(this.registry));
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    // Merged per scrape (a few dozen references), so metrics registered after start-up are exposed too.
    return Registry.merge([this.process, this.registry]).metrics();
  }
}
