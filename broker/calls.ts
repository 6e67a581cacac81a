import type { CallingOptions, ServiceBroker } from "moleculer";
import type { ActionName, EventName, ParamsIn, PayloadOf, ResultOf } from "../lib/contracts";

/** A broker or a context: anything that calls actions and broadcasts events. */
export interface ActionCaller {
  call(actionName: string, params?: unknown, opts?: CallingOptions): Promise<unknown>;
}

export interface EventBroadcaster {
  broadcast(eventName: string, payload?: unknown, opts?: { groups?: string[] }): unknown;
}

/** Calls an action of lib/contracts, with its params and result typed from the contract. */
export function call<N extends ActionName>(
  via: ActionCaller,
  name: N,
  params: ParamsIn<N>,
  opts?: CallingOptions,
): Promise<ResultOf<N>> {
  return via.call(name, params, opts) as Promise<ResultOf<N>>;
}

/** Broadcasts an event of lib/contracts to the services of `groups` on every node. */
export async function broadcast<E extends EventName>(
  via: EventBroadcaster,
  name: E,
  payload: PayloadOf<E>,
  groups: string[],
): Promise<void> {
  await via.broadcast(name, payload, { groups });
}

/**
 * Calls an action on every node that hosts it, each acknowledging, for a change every node must know before the
 * caller answers (a revoked session). Resolves with the nodes that did not acknowledge in time.
 */
export async function callEveryNode<N extends ActionName>(
  broker: ServiceBroker,
  name: N,
  params: ParamsIn<N>,
  timeoutMs: number,
): Promise<string[]> {
  const nodeIDs = [...new Set(broker.registry.getActionEndpoints(name)?.endpoints.map((e) => e.id) ?? [])];
  const results = await Promise.allSettled(
    nodeIDs.map((nodeID) => call(broker, name, params, { nodeID, timeout: timeoutMs, retries: 0 })),
  );
  return nodeIDs.filter((_, i) => results[i]?.status === "rejected");
}
