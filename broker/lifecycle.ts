import type { ReadinessReport } from "../lib/health/readiness";

/**
 * Where a node is on its way out. `serving`: normal. `draining`: SIGTERM came; `/health/ready` says 503 so that
 * load balancers take the node out, while everything is still served. `closing`: the HTTP listener is closed,
 * in-flight requests finish, then the node leaves the cluster.
 */
export type NodePhase = "serving" | "draining" | "closing";

/** Named in readiness's `missing` while the node is on its way out, so an operator sees why it is not ready. */
export const DRAINING = "draining";

export class NodeLifecycle {
  private current: NodePhase = "serving";

  get phase(): NodePhase {
    return this.current;
  }

  /** Moves forward only: a drain asked for while closing changes nothing. */
  enter(phase: Exclude<NodePhase, "serving">): void {
    if (phase === "closing" || this.current === "serving") this.current = phase;
  }

  /**
   * Readiness as `assess` says, except that a node on its way out is never ready: its dependencies are still
   * reported, with `draining` first among what is missing.
   */
  readiness(assess: () => Promise<ReadinessReport>): () => Promise<ReadinessReport> {
    return async () => {
      const report = await assess();
      if (this.current === "serving") return report;
      return { ...report, ready: false, missing: [DRAINING, ...report.missing] };
    };
  }
}
