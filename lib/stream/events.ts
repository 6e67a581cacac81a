/**
 * Events of `GET /api/stream` (server-sent events), in one place: their names, and the Moleculer events that
 * carry them from the node that produced them to whichever gateway holds the user's connection.
 */

export type StreamEventName = "notification" | "message" | "feed";

export interface StreamEvent {
  /** A Snowflake id, so that `Last-Event-ID` orders against the inbox's ids. */
  id: string;
  event: StreamEventName;
  /** The notification object, the message object, or `{postId}` for a new post in the feed. */
  data: unknown;
}

/** Moleculer event names broadcast to every gateway node. */
export const streamBroadcasts = {
  /** `{userIds, event}`: deliver `event` to the open streams of each user. */
  deliver: "stream.deliver",
  /** `{userId, sessionId}`: a session ended (logout); close its streams. */
  sessionEnded: "stream.session-ended",
} as const;

export interface StreamDelivery {
  userIds: string[];
  event: StreamEvent;
}

export interface SessionEnded {
  userId: string;
  sessionId: string;
}

/** Hands events to the gateways (bound to the broker by the node). */
export type PublishStreamEvent = (userIds: readonly string[], event: StreamEvent) => void;
