import type { ServiceBroker, ServiceSchema } from "moleculer";
import { OWNER_STRATEGY, OwnerRing, registerOwnerStrategy } from "../broker/owner-strategy";

/**
 * Routing of a per-user action to the node that owns the user (broker/owner-strategy.ts): by the signed-in
 * caller, or by a user id among the params. Never the local node by preference: the owner is the only node
 * whose memory of the user is complete.
 */
export const byCaller = { strategy: OWNER_STRATEGY, strategyOptions: { shardKey: "#user.userId" } };
export function byParam(name: string) {
  return { strategy: OWNER_STRATEGY, strategyOptions: { shardKey: name } };
}

export interface ActorOptions {
  /** An action of the service routed by owner: the ring is read from its endpoints. */
  ringAction: string;
  /** Drops everything remembered of every user: the node may no longer own them, or missed writes to them. */
  forgetAll: () => void;
}

/**
 * Per-user actors: the service keeps each user's hot state in memory on the user's owner node and writes
 * through to the store. When the ring of owners changes (a node joins or leaves), what this node remembers of
 * users it may no longer own, or owned before someone else wrote to them, is stale, so it is dropped and rebuilt
 * from the store on the next call.
 */
export function actor(options: ActorOptions): Partial<ServiceSchema> {
  let ring: OwnerRing | undefined;
  const ringMayHaveChanged = () => {
    if (ring?.changed() === true) options.forgetAll();
  };
  return {
    events: {
      "$node.connected": ringMayHaveChanged,
      "$node.disconnected": ringMayHaveChanged,
      "$services.changed": ringMayHaveChanged,
    },
    created() {
      // Before the actions register: each names the strategy, which the broker must know by then.
      registerOwnerStrategy();
    },
    started(this: { broker: ServiceBroker }) {
      ring = new OwnerRing(this.broker, options.ringAction);
      ring.recordIncluding(this.broker.nodeID);
      // Joining (or rejoining after a crash): callers that have not seen this node yet still route its users to
      // others, so nothing it would remember now is sure to stay complete.
      if (this.broker.transit !== undefined) options.forgetAll();
    },
  };
}
