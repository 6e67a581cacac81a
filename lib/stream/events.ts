/**
 * Events of `GET /api/stream` (server-sent events); their schemas and the Moleculer events that carry them to
 * whichever gateway holds the user's connection are in lib/contracts/events.ts.
 */

import type { PayloadOf, StreamEvent } from "../contracts/events";

export type { StreamEvent } from "../contracts/events";
export type StreamEventName = StreamEvent["event"];

export type StreamDelivery = PayloadOf<"stream.deliver">;
export type SessionEnded = PayloadOf<"stream.session-ended">;

/** Hands events to the gateways (bound to the broker by the node). */
export type PublishStreamEvent = (userIds: readonly string[], event: StreamEvent) => void;
