import type { ServiceSchema } from "moleculer";
import { z } from "zod";
import { ParamsSchema } from "../../broker/middlewares/params-validator";
import type { Accounts } from "../../lib/accounts";
import { createGraphService } from "../graph.service";
import { createInboxService } from "../inbox.service";
import { createInteractionsService } from "../interactions.service";
import { createStoriesService } from "../stories.service";
import { createMediaService, type MediaServiceDeps } from "../media.service";
import { createPostsService } from "../posts.service";
import { createUsersService } from "../users.service";
import { apiRoutes, type ApiRoute } from "./routes";

/**
 * The OpenAPI document of the REST surface, derived from the gateway's route table and from the param schemas
 * of the actions behind it, so it cannot drift from what the gateway enforces. `npm run openapi` writes it to
 * docs/openapi.json; a test fails when the committed file is stale.
 */
export function buildOpenApi(): Record<string, unknown> {
  // Only the schemas are read: the services are never started, so they need no dependencies.
  const services: ServiceSchema[] = [
    createUsersService({ accounts: undefined as unknown as Accounts }),
    createMediaService({} as MediaServiceDeps),
    createGraphService({} as Parameters<typeof createGraphService>[0]),
    createPostsService({} as Parameters<typeof createPostsService>[0]),
    createInteractionsService({} as Parameters<typeof createInteractionsService>[0]),
    createStoriesService({} as Parameters<typeof createStoriesService>[0]),
    createInboxService({} as Parameters<typeof createInboxService>[0]),
  ];
  const paramsOf = new Map<string, z.ZodType>();
  for (const service of services) {
    for (const [name, action] of Object.entries(service.actions ?? {})) {
      const declared: unknown = typeof action === "object" ? action.params : undefined;
      if (declared instanceof ParamsSchema)
        paramsOf.set(`${service.name}.${name}`, (declared as ParamsSchema).schema());
    }
  }

  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, route] of Object.entries(apiRoutes) as [string, ApiRoute][]) {
    const [method = "GET", routePath = "/"] = key.split(" ");
    const openApiPath = `/api${routePath.replace(/:([A-Za-z]+)/g, "{$1}")}`;
    const pathParams = [...routePath.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] ?? "");
    paths[openApiPath] ??= {};
    paths[openApiPath][method.toLowerCase()] = operation(
      method,
      route,
      paramsOf.get(route.action),
      pathParams,
    );
  }
  paths["/api/stream"] = { get: streamOperation };
  paths["/health/live"] = { get: opsOperation("Liveness", "application/json") };
  paths["/health/ready"] = {
    get: { ...opsOperation("Readiness", "application/json"), responses: readyResponses },
  };
  paths["/metrics"] = { get: opsOperation("Prometheus metrics", "text/plain") };

  return {
    openapi: "3.1.0",
    info: {
      title: "Mosaic",
      version: "1",
      description: "Photo and video sharing backend. Errors use the Error envelope.",
    },
    servers: [{ url: "http://127.0.0.1:3000" }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      schemas: { User: userSchema, Media: mediaSchema, Post: postSchema, Error: errorSchema },
    },
    paths,
  };
}

function operation(method: string, route: ApiRoute, params: z.ZodType | undefined, pathParams: string[]) {
  const schema = params
    ? (z.toJSONSchema(params, { io: "input", unrepresentable: "any" }) as JsonObject)
    : undefined;
  const properties = (schema?.properties ?? {}) as JsonObject;
  const bodyProperties = Object.fromEntries(
    Object.entries(properties).filter(([name]) => !pathParams.includes(name)),
  );
  const hasBody = method !== "GET" && route.body === undefined && Object.keys(bodyProperties).length > 0;
  const status = String(route.status ?? 200);
  return {
    operationId: route.action,
    ...(route.auth === "required" && { security: [{ bearer: [] }] }),
    parameters: [
      ...pathParams.map((name) => ({
        name,
        in: "path",
        required: true,
        schema: properties[name] ?? {},
      })),
      ...(route.idempotent === true ? [idempotencyKeyParameter] : []),
    ],
    ...(route.body === "multipart" && {
      requestBody: {
        required: true,
        content: {
          "multipart/form-data": {
            schema: {
              type: "object",
              required: ["file"],
              properties: {
                file: {
                  type: "string",
                  format: "binary",
                  description: "JPEG, PNG, WebP, HEIC, GIF, MP4, MOV or WebM",
                },
              },
            },
          },
        },
      },
    }),
    ...(route.body === "stream" && {
      requestBody: {
        required: true,
        content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
      },
    }),
    ...(hasBody && {
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: { ...schema, properties: bodyProperties, required: requiredOf(schema, pathParams) },
          },
        },
      },
    }),
    responses: {
      [status]:
        status === "204"
          ? { description: "Done" }
          : {
              description: "Success",
              ...(route.idempotent === true && { headers: idempotentReplayedHeaders }),
              content: jsonOf(responseOf(route)),
            },
      ...(route.idempotent === true && idempotencyResponses),
      ...(method !== "GET" && bodyResponses(route)),
      default: {
        description: "An error (see api.md for the statuses)",
        content: jsonOf({ $ref: "#/components/schemas/Error" }),
      },
    },
  };
}

/** What the edge answers to a body that stalls, or that is too large before any action reads it. */
function bodyResponses(route: ApiRoute) {
  const error = jsonOf({ $ref: "#/components/schemas/Error" });
  const tooLarge =
    route.body === "multipart"
      ? "PAYLOAD_TOO_LARGE: the file is over its kind's limit (images 20 MB, videos 200 MB)"
      : "PAYLOAD_TOO_LARGE: a JSON body over 1 MB; up to 16 MB of it is read before the answer, then the " +
        "connection is closed";
  return {
    "408": {
      description:
        "REQUEST_TIMEOUT: the body stopped arriving for BODY_IDLE_TIMEOUT_MS; nothing of it is kept, and the " +
        "connection is closed",
      content: error,
    },
    // A part's size is checked against its session instead (400 PART_SIZE).
    ...(route.body !== "stream" && { "413": { description: tooLarge, content: error } }),
  };
}

function responseOf(route: ApiRoute): JsonObject {
  const user = { $ref: "#/components/schemas/User" };
  switch (route.action) {
    case "users.signup":
    case "users.login":
      return { type: "object", properties: { user, token: { type: "string" } }, required: ["user", "token"] };
    case "media.startUpload":
      return objectOf({
        id: { type: "string" },
        partSize: { type: "integer" },
        partCount: { type: "integer" },
      });
    case "media.uploadStatus":
      return objectOf({
        id: { type: "string" },
        receivedParts: { type: "array", items: { type: "integer" } },
        complete: { type: "boolean" },
      });
    case "media.putPart":
      return objectOf({ n: { type: "integer" }, size: { type: "integer" } });
    case "media.presign":
      return objectOf({
        mediaId: { type: "string" },
        url: { type: "string" },
        method: { const: "PUT" },
        headers: { type: "object", additionalProperties: { type: "string" } },
      });
    case "graph.follow":
    case "graph.unfollow":
      return objectOf({ state: { enum: ["following", "requested", "none"] } });
    case "graph.approve":
    case "graph.reject":
      return objectOf({ state: { enum: ["approved", "rejected"] } });
    case "graph.block":
    case "graph.unblock":
      return objectOf({ blocking: { type: "boolean" } });
    case "graph.followers":
    case "graph.following":
    case "graph.requests":
      return pageOf(user);
    case "posts.byUser":
      return pageOf({ $ref: "#/components/schemas/Post" });
    case "posts.create":
    case "posts.get":
      return { $ref: "#/components/schemas/Post" };
    default:
      return route.action.startsWith("media.") ? { $ref: "#/components/schemas/Media" } : user;
  }
}

function pageOf(item: JsonObject): JsonObject {
  return objectOf({ items: { type: "array", items: item }, nextCursor: { type: ["string", "null"] } });
}

function objectOf(properties: JsonObject): JsonObject {
  return { type: "object", properties, required: Object.keys(properties) };
}

function requiredOf(schema: JsonObject | undefined, pathParams: string[]): string[] {
  const required = Array.isArray(schema?.required) ? (schema.required as string[]) : [];
  return required.filter((name) => !pathParams.includes(name));
}

function opsOperation(summary: string, type: string) {
  return { summary, responses: { "200": { description: "OK", content: { [type]: {} } } } };
}

const readyResponses = {
  "200": { description: "Ready" },
  "503": { description: "A dependency is down (the store is closed, or no node hosts users)" },
};

function jsonOf(schema: JsonObject) {
  return { "application/json": { schema } };
}

type JsonObject = Record<string, unknown>;

const userSchema = {
  type: "object",
  required: ["id", "username", "displayName", "bio", "avatarUrl", "isPrivate", "createdAt", "counts"],
  properties: {
    id: { type: "string", pattern: "^[1-9][0-9]{0,18}$" },
    username: { type: "string" },
    displayName: { type: "string" },
    bio: { type: "string" },
    avatarUrl: { type: ["string", "null"] },
    isPrivate: { type: "boolean" },
    createdAt: { type: "string", format: "date-time" },
    counts: {
      type: "object",
      properties: {
        followers: { type: "integer" },
        following: { type: "integer" },
        posts: { type: "integer" },
      },
    },
    relationship: {
      type: "object",
      description: "Only when another signed-in user looks",
      properties: {
        following: { type: "boolean" },
        followedBy: { type: "boolean" },
        requested: { type: "boolean" },
        blocking: { type: "boolean" },
      },
    },
    email: { type: "string", description: "Only on /api/me" },
  },
};

const variantSchema = {
  type: "object",
  required: ["url", "width", "height", "contentType"],
  properties: {
    url: {
      type: "string",
      description:
        "Where to fetch the file. A public account's post, story or avatar: a plain URL, cacheable for a year. " +
        "Anything else (a private account's media, a direct message's photo, an upload not used yet): a signed URL " +
        "minted for this answer (`?exp=&sig=` on the gateway, a presigned GET on S3) that works for " +
        "MEDIA_URL_TTL_SECONDS or a little more and is cached privately; fetch the object again for a new one. " +
        "An expired or altered URL, the plain URL of a private file, and the files of a deleted post or story " +
        "answer 404.",
    },
    width: { type: "integer" },
    height: { type: "integer" },
    contentType: { type: "string" },
  },
};

const mediaSchema = {
  type: "object",
  required: ["id", "type", "status", "width", "height", "variants", "createdAt"],
  properties: {
    id: { type: "string" },
    type: { enum: ["image", "video"] },
    status: { enum: ["processing", "ready", "failed"] },
    width: { type: ["integer", "null"] },
    height: { type: ["integer", "null"] },
    durationMs: { type: ["integer", "null"], description: "Videos only" },
    blurhash: { type: ["string", "null"], description: "Images only" },
    variants: {
      type: "object",
      description:
        "Images: thumb (≤ 320 px), small (≤ 640), large (≤ 1080). Videos: mp4 (≤ 720, H.264/AAC), poster.",
      additionalProperties: variantSchema,
    },
    failure: { type: "string", description: "Why processing failed" },
    createdAt: { type: "string", format: "date-time" },
  },
};

const postSchema = {
  type: "object",
  required: [
    "id",
    "author",
    "caption",
    "hashtags",
    "mentions",
    "media",
    "createdAt",
    "likeCount",
    "commentCount",
    "likedByMe",
    "savedByMe",
  ],
  properties: {
    id: { type: "string" },
    author: { $ref: "#/components/schemas/User" },
    caption: { type: "string" },
    hashtags: { type: "array", items: { type: "string" }, description: "Lower-case, without #" },
    mentions: {
      type: "array",
      items: { type: "string" },
      description: "Usernames of existing users, without @",
    },
    media: { type: "array", items: { $ref: "#/components/schemas/Media" } },
    createdAt: { type: "string", format: "date-time" },
    likeCount: { type: "integer" },
    commentCount: { type: "integer" },
    likedByMe: { type: "boolean" },
    savedByMe: { type: "boolean" },
  },
};

const errorSchema = {
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
const idempotencyKeyParameter = {
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

const idempotentReplayedHeaders = {
  "Idempotent-Replayed": {
    description:
      "`true` when this is the recorded answer of an earlier request with the same Idempotency-Key",
    schema: { const: "true" },
  },
};

const idempotencyResponses = {
  "409": {
    description:
      "IDEMPOTENCY_KEY_IN_FLIGHT: a request with this Idempotency-Key is still running; retry later " +
      "(also the route's own conflicts)",
    content: jsonOf({ $ref: "#/components/schemas/Error" }),
  },
  "422": {
    description: "IDEMPOTENCY_KEY_REUSED: this Idempotency-Key was used for a different request",
    content: jsonOf({ $ref: "#/components/schemas/Error" }),
  },
};

const streamOperation = {
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
