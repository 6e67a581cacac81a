import { Registry } from "prom-client";
import { ActionMetrics } from "./action-metrics";
import { HttpMetrics } from "./http-metrics";
import { processMetrics } from "./process-metrics";
import { SearchMetrics } from "./search-metrics";

/** What serves `/metrics`: the gateway's alias and the ops server of a node without the gateway. */
export interface MetricsEndpoint {
  /** The Prometheus text exposition of everything the node measures. */
  render(): Promise<string>;
  /** The `Content-Type` of what render() returns. */
  readonly contentType: string;
}

/**
 * One node's metrics, in a registry of its own: tests start several nodes in one process, and prom-client's
 * global registry would mix their counts (or refuse the second node's metrics as duplicates).
 */
export class NodeMetrics implements MetricsEndpoint {
  readonly registry = new Registry();
  readonly actions = new ActionMetrics(this.registry);
  readonly http = new HttpMetrics(this.registry);
  readonly search = new SearchMetrics(this.registry);
  /** The process's metrics, started with the first node rather than its first scrape: event-loop lag needs samples. */
  private readonly process = processMetrics();

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    // Merged per scrape (a few dozen references), so metrics registered after start-up are exposed too.
    return Registry.merge([this.process, this.registry]).metrics();
  }
}
