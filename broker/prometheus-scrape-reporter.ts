import { MetricReporters, type MetricRegistry } from "moleculer";

/**
 * Moleculer's Prometheus reporter without its own HTTP server: the gateway (or the ops server of a node without
 * one) serves `/metrics` on the node's one port, which is what a Kubernetes scrape config expects.
 */
export class PrometheusScrapeReporter extends MetricReporters.Prometheus {
  private initialised = false;

  override init(registry: MetricRegistry): void {
    MetricReporters.Base.prototype.init.call(this, registry);
    // The parent's init would compute these next to starting its server; we need only the labels.
    const labels = { namespace: registry.broker.namespace, nodeID: registry.broker.nodeID };
    Object.assign(this, { defaultLabels: labels });
    this.initialised = true;
  }

  override stop(): Promise<void> {
    return Promise.resolve();
  }

  render(): string {
    return this.initialised ? this.generatePrometheusResponse() : "";
  }
}
