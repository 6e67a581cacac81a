import type { Context, ServiceBroker } from "moleculer";
import type { IncomingRequest } from "moleculer-web";

/**
 * moleculer-web picks an action's endpoint before it authenticates the request. An action routed by its caller
 * (the Owner strategy of the timeline and inbox actors keys on `#user.userId`) would so be sent to a node chosen
 * without the caller: any node, whose memory of that user then misses what the fan-out wrote through the owner.
 * Picked again once the caller is known, so the read goes where the writes went.
 */
export function pickEndpointForCaller(broker: ServiceBroker, ctx: Context, req: IncomingRequest): void {
  const action = req.$endpoint?.action.name;
  if (action === undefined) return;
  // The gateway's routes name no node (`callOptions.nodeID`), the one option that choosing an endpoint reads.
  const endpoint = broker.findNextActionEndpoint(action, {}, ctx);
  // No endpoint now (the owner's circuit is open): the retryable error answers 503, as a missing service does.
  if (endpoint instanceof Error) throw endpoint;
  req.$endpoint = endpoint;
  req.$action = endpoint.action;
}
