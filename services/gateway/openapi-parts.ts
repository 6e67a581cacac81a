import type { JsonObject } from "./openapi";

/** The parts of the OpenAPI document that no contract describes: the edge's own headers, errors and routes. */

export function jsonOf(schema: JsonObject) {
  return { "application/json": { schema } };
}

export const errorRef = { $ref: "#/components/schemas/Error" };

export const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", pattern: "^[A-Z][A-Z0-9_]*$" },
        message: { type: "string" },
        details: {},
      },
    },
  },
};

// Idempotency-Key (services/gateway/idempotency.ts), on the routes that create something.
export const idempotencyKeyParameter = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    "1–255 printable ASCII characters, bare or as a quoted sf-string (draft-ietf-httpapi-idempotency-key-header). " +
    "A retry with the same key and the same request (method, path and JSON body; for an upload its media type " +
    "and Content-Length) within 24 h gets the first answer again, with `Idempotent-Replayed: true`, and runs " +
    "nothing. Answers with a 5xx, a 429 or a 408 are not kept: the key is free for a retry. Keys are per user.",
  schema: { type: "string", minLength: 1, maxLength: 255 },
};

export const idempotentReplayedHeaders = {
  "Idempotent-Replayed": {
    description:
      "`true` when this is the recorded answer of an earlier request with the same Idempotency-Key",
    schema: { const: "true" },
  },
};

export const idempotencyResponses = {
  "409": {
    description:
      "IDEMPOTENCY_KEY_IN_FLIGHT: a request with this Idempotency-Key is still running; retry later " +
      "(also the route's own conflicts)",
    content: jsonOf(errorRef),
  },
  "422": {
    description: "IDEMPOTENCY_KEY_REUSED: this Idempotency-Key was used for a different request",
    content: jsonOf(errorRef),
  },
};

export const streamOperation = {
  summary: "Server-sent events of the signed-in user",
  description:
    "`text/event-stream`. Each event has an `id:` line (resumable with `Last-Event-ID`), an `event:` line " +
    "(`notification`, `message` or `feed`) and one `data:` line of JSON: the notification object, the message " +
    "object, or `{postId}` for a new post in the feed. Feed events are not kept for replay: their id is that of " +
    "the last notification or message sent before them (or where the stream started), so resuming from one " +
    "replays exactly what followed. A `: heartbeat` comment comes on idle streams. A reconnect " +
    "with `Last-Event-ID` (header, or `?lastEventId=`) first replays what the inbox kept since that id. " +
    "Browsers' EventSource cannot send headers: the token may come as `?access_token=`. A logout closes the " +
    "session's streams; past the per-user bound (STREAM_MAX_PER_USER) the oldest stream is closed.",
  security: [{ bearer: [] }],
  parameters: [
    { name: "access_token", in: "query", required: false, schema: { type: "string" } },
    {
      name: "lastEventId",
      in: "query",
      required: false,
      schema: { type: "string", pattern: "^[0-9]{1,20}$" },
    },
    { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } },
  ],
  responses: {
    "200": {
      description: "The event stream",
      content: { "text/event-stream": { schema: { type: "string" } } },
    },
    "400": { description: "A Last-Event-ID that is not an event id" },
    "401": { description: "No valid token" },
  },
};

export const readyResponses = {
  "200": { description: "Ready" },
  "503": { description: "A dependency is down (the store is closed, or no node hosts users)" },
};
