/**
 * What `/health/ready` answers. `ready` is what a load balancer acts on; the rest tells an operator why.
 */
export interface ReadinessReport {
  ready: boolean;
  /** One entry per dependency of this node: whether it answers now. */
  checks: Record<string, boolean>;
  /** The required dependencies that fail, with each unreachable action named (`actions:timeline.feed`). */
  missing: string[];
  /** Dependencies that fail without stopping the node from serving (Redis: limits per node, no cache). */
  degraded: string[];
}

/** The node's dependencies as seen now; a dependency the node does not have is left out. */
export interface ReadinessProbes {
  brokerStarted: boolean;
  /** Cluster mode: whether the transporter answers (unset in embedded mode). */
  transporter?: () => Promise<boolean>;
  store?: () => Promise<boolean>;
  blobs?: () => Promise<boolean>;
  /** Actions this node's routes call: each needs a live endpoint somewhere in the cluster. */
  actions?: { required: readonly string[]; isAvailable: (action: string) => boolean };
  /** Optional: reported, and noted as degraded when down, but never a reason to take the node out. */
  redis?: () => boolean;
}

/**
 * Ready when everything the node needs to serve answers: the broker, the transporter in cluster mode, the store
 * and blob store it opened, and on a gateway a live endpoint for every action its routes call, so a load
 * balancer sends no traffic to a gateway that would answer 503 to part of the API.
 */
export async function assessReadiness(probes: ReadinessProbes): Promise<ReadinessReport> {
  const checks: Record<string, boolean> = { broker: probes.brokerStarted };
  const missing: string[] = [];
  const degraded: string[] = [];
  const [transporter, store, blobs] = await Promise.all(
    [probes.transporter, probes.store, probes.blobs].map((probe) =>
      probe === undefined ? Promise.resolve(undefined) : probe().catch(() => false),
    ),
  );
  if (transporter !== undefined) checks.transporter = transporter;
  if (store !== undefined) checks.store = store;
  if (blobs !== undefined) checks.blobs = blobs;
  for (const [name, ok] of Object.entries(checks)) if (!ok) missing.push(name);

  if (probes.actions) {
    const unreachable = [...new Set(probes.actions.required)].filter(
      (action) => !probes.actions?.isAvailable(action),
    );
    checks.actions = unreachable.length === 0;
    missing.push(...unreachable.map((action) => `actions:${action}`));
  }
  if (probes.redis) {
    checks.redis = probes.redis();
    if (!checks.redis) degraded.push("redis");
  }
  return { ready: missing.length === 0, checks, missing, degraded };
}
