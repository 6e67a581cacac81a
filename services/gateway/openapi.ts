import { z } from "zod";
import { actionContracts, type ActionContract } from "../../lib/contracts";
import {
  errorRef,
  errorSchema,
  idempotencyKeyParameter,
  idempotencyResponses,
  idempotentReplayedHeaders,
  jsonOf,
  readyResponses,
  streamOperation,
} from "./openapi-parts";
import { apiRoutes, type ApiRoute } from "./routes";

export type JsonObject = Record<string, unknown>;

/**
 * The OpenAPI document of the REST surface, generated from the gateway's route table and from the contracts of
 * the actions behind it (lib/contracts): parameters from their params schemas, answers from their result
 * schemas, the objects of api.md as named components. The gateway serves it at /api/openapi.json; `npm run
 * openapi` writes it to docs/openapi.json, and a test fails when that file is stale.
 */
export function buildOpenApi(): JsonObject {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, route] of Object.entries(apiRoutes) as [string, ApiRoute][]) {
    const [method = "GET", routePath = "/"] = key.split(" ");
    const openApiPath = `/api${routePath.replace(/:([A-Za-z]+)/g, "{$1}")}`;
    paths[openApiPath] ??= {};
    paths[openApiPath][method.toLowerCase()] = operation(method, routePath, route);
  }
  paths["/api/stream"] = { get: { ...streamOperation, operationId: "stream", tags: ["stream"] } };
  paths["/media/{owner}/{media}/{file}"] = { get: mediaFileOperation };
  paths["/exports/{owner}/{file}"] = { get: exportFileOperation };
  paths["/api/openapi.json"] = { get: opsOperation("openapi", "This document", "application/json") };
  paths["/api/docs"] = { get: opsOperation("docs", "This document as a browsable reference", "text/html") };
  paths["/health/live"] = { get: opsOperation("live", "Liveness", "application/json") };
  paths["/health/ready"] = {
    get: { ...opsOperation("ready", "Readiness", "application/json"), responses: readyResponses },
  };
  paths["/metrics"] = { get: opsOperation("metrics", "Prometheus metrics", "text/plain") };

  return {
    openapi: "3.1.0",
    info: {
      title: "Mosaic",
      version: "1",
      description:
        "Photo and video sharing backend. Ids are decimal strings, times ISO-8601 UTC. Lists take `limit` " +
        "(1–100, default 20) and `cursor`, and answer `{items, nextCursor}`. Every error uses the Error envelope.",
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "http://127.0.0.1:3000", description: "`npm start` on this machine" }],
    security: [{ bearer: [] }],
    tags: TAGS,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "The token from signup or login" },
      },
      schemas: { ...objectSchemas(), Error: errorSchema },
    },
    paths,
  };
}

function operation(method: string, routePath: string, route: ApiRoute): JsonObject {
  const contract: ActionContract = actionContracts[route.action];
  const { $schema: _schema, ...params } = z.toJSONSchema(contract.params, {
    io: "input",
    unrepresentable: "any",
  }) as JsonObject;
  const properties = (params.properties ?? {}) as Record<string, JsonObject>;
  const required = Array.isArray(params.required) ? (params.required as string[]) : [];
  const pathParams = [...routePath.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] ?? "");
  const rest = Object.keys(properties).filter((name) => !pathParams.includes(name) && !name.startsWith("$"));
  const inQuery = method === "GET" || method === "DELETE";
  const jsonBody = !inQuery && route.body === undefined && rest.length > 0;
  const status = String(route.status ?? 200);
  const success =
    status === "204"
      ? { description: "Done; no content" }
      : {
          description: contract.summary,
          ...(route.idempotent === true && { headers: idempotentReplayedHeaders }),
          content: jsonOf(resultSchema(contract.result)),
        };

  return {
    operationId: route.action,
    summary: contract.summary,
    tags: [route.action.split(".")[0]],
    security: route.auth === "required" ? [{ bearer: [] }] : [],
    parameters: [
      ...pathParams.map((name) => ({
        name,
        in: "path",
        required: true,
        schema: withoutDefault(properties[name]),
      })),
      ...(inQuery
        ? rest.map((name) => ({
            name,
            in: "query",
            required: required.includes(name) && properties[name]?.default === undefined,
            schema: properties[name] ?? {},
          }))
        : []),
      ...(route.idempotent === true ? [idempotencyKeyParameter] : []),
    ],
    ...(jsonBody && {
      requestBody: {
        required: true,
        content: jsonOf({
          ...params,
          properties: Object.fromEntries(rest.map((name) => [name, properties[name]])),
          required: required.filter((name) => rest.includes(name)),
        }),
      },
    }),
    ...(route.body === "multipart" && { requestBody: multipartBody }),
    ...(route.body === "stream" && {
      requestBody: {
        required: true,
        content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
      },
    }),
    responses: {
      [status]: success,
      ...errorResponses(route, pathParams.length > 0, jsonBody),
      ...(route.idempotent === true && idempotencyResponses),
    },
  };
}

/** The failures a route can answer with, each with the envelope (api.md's conventions). */
function errorResponses(route: ApiRoute, byPath: boolean, jsonBody: boolean): JsonObject {
  const error = (description: string) => ({ description, content: jsonOf(errorRef) });
  const hasBody = route.body !== undefined || jsonBody;
  return {
    "400": error(
      "VALIDATION_FAILED (with `details`: each field and what is wrong), or the route's own codes",
    ),
    ...(route.auth === "required" && {
      "401": error("UNAUTHORIZED: no token, or a malformed, expired, forged or revoked one"),
    }),
    ...(route.refuses?.includes(403) === true && {
      "403": error("The caller sees this but may not do this (not the author, a private account)"),
    }),
    ...(byPath && { "404": error("No such thing, or one the caller may not see") }),
    ...(hasBody && {
      "408": error(
        "REQUEST_TIMEOUT: the body stopped arriving for BODY_IDLE_TIMEOUT_MS; nothing of it is kept, and the " +
          "connection is closed",
      ),
    }),
    ...(route.refuses?.includes(409) === true && { "409": error("Taken, or already done") }),
    ...(hasBody &&
      route.body !== "stream" && {
        "413": error(
          route.body === "multipart"
            ? "PAYLOAD_TOO_LARGE: the file is over its kind's limit (images 20 MB, videos 200 MB)"
            : "PAYLOAD_TOO_LARGE: a JSON body over 1 MB; up to 16 MB of it is read before the answer, then " +
                "the connection is closed",
        ),
      }),
    ...(hasBody && {
      "415": error(
        route.body === "multipart"
          ? "UNSUPPORTED_MEDIA_TYPE: the file's bytes are not a supported image or video"
          : "UNSUPPORTED_MEDIA_TYPE: the body is not `application/json`",
      ),
    }),
    "429": {
      ...error("RATE_LIMITED: a rate limit or quota was hit"),
      headers: {
        "Retry-After": { description: "Seconds until a retry may succeed", schema: { type: "integer" } },
      },
    },
    "503": error("SERVICE_UNAVAILABLE: a dependency is down; try again shortly"),
  };
}

/** Every object of lib/contracts with a `meta({ id })`, as the document's named schemas. */
function objectSchemas(): Record<string, JsonObject> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    io: "output",
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $id: _id, $schema: _schema, ...rest } = schema as JsonObject;
      return [id, rest];
    }),
  );
}

/** A result as the document shows it: named objects become references to their component. */
function resultSchema(result: z.ZodType): JsonObject {
  const {
    $schema: _schema,
    $defs: defs,
    ...schema
  } = z.toJSONSchema(result, {
    io: "output",
    unrepresentable: "any",
  }) as JsonObject;
  const named = Object.keys(defs ?? {});
  const text = JSON.stringify(schema).replace(/"#\/\$defs\/([^"]+)"/g, (_m, id: string) => {
    if (!named.includes(id)) throw new Error(`the result schema refers to an unnamed definition ${id}`);
    return `"#/components/schemas/${id}"`;
  });
  return JSON.parse(text) as JsonObject;
}

function withoutDefault(schema: JsonObject | undefined): JsonObject {
  const { default: _default, ...rest } = schema ?? {};
  return rest;
}

const multipartBody = {
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
};

const TAGS = [
  { name: "users", description: "Accounts and profiles" },
  { name: "graph", description: "Follows, follow requests and blocks" },
  { name: "posts", description: "Posts" },
  { name: "timeline", description: "The home feed" },
  { name: "interactions", description: "Likes, comments, saves and shares" },
  { name: "stories", description: "Stories that last 24 hours" },
  { name: "inbox", description: "Notifications and direct messages" },
  { name: "media", description: "Uploads, and media with their variants" },
  { name: "export", description: "Archives of one's data to download" },
  { name: "stream", description: "Server-sent events" },
  { name: "files", description: "Media files (embedded mode: the gateway serves them)" },
  { name: "operations", description: "Health, metrics and this document" },
];

const mediaFileOperation = {
  operationId: "files.get",
  summary: "A media file at a variant's `url`",
  description:
    "A public account's post, story or avatar: a plain URL, cacheable for a year. Anything else: a signed URL " +
    "(`?exp=&sig=`) minted for one answer, which works for MEDIA_URL_TTL_SECONDS. `Range` is supported. An " +
    "expired or altered URL, the plain URL of a private file, and the files of a deleted post or story answer 404.",
  tags: ["files"],
  security: [],
  parameters: [
    { name: "owner", in: "path", required: true, schema: { type: "string" } },
    { name: "media", in: "path", required: true, schema: { type: "string" } },
    { name: "file", in: "path", required: true, schema: { type: "string" } },
    { name: "exp", in: "query", required: false, schema: { type: "string" } },
    { name: "sig", in: "query", required: false, schema: { type: "string" } },
    { name: "Range", in: "header", required: false, schema: { type: "string" } },
  ],
  responses: {
    "200": { description: "The file", content: { "*/*": { schema: { type: "string", format: "binary" } } } },
    "206": { description: "The part asked for with Range" },
    "404": { description: "No such file, or not for this URL" },
    "416": { description: "A Range outside the file" },
  },
};

const exportFileOperation = {
  operationId: "files.export",
  summary: "A data export archive at its `url` (embedded mode; on S3 the link is presigned there)",
  description:
    "The zip of GET /api/me/export's `url`, signed (`?exp=&sig=`) and good until the archive's `expiresAt`. An " +
    "altered, forged or expired link answers 403; an archive already deleted, 404. `Range` is supported.",
  tags: ["files"],
  security: [],
  parameters: [
    { name: "owner", in: "path", required: true, schema: { type: "string" } },
    { name: "file", in: "path", required: true, schema: { type: "string" } },
    { name: "exp", in: "query", required: true, schema: { type: "string" } },
    { name: "sig", in: "query", required: true, schema: { type: "string" } },
    { name: "Range", in: "header", required: false, schema: { type: "string" } },
  ],
  responses: {
    "200": {
      description: "The archive",
      content: { "application/zip": { schema: { type: "string", format: "binary" } } },
    },
    "206": { description: "The part asked for with Range" },
    "403": { description: "A link that is not valid, or has expired" },
    "404": { description: "No such archive" },
    "416": { description: "A Range outside the file" },
  },
};

function opsOperation(operationId: string, summary: string, type: string): JsonObject {
  return {
    operationId,
    summary,
    tags: ["operations"],
    security: [],
    responses: { "200": { description: "OK", content: { [type]: {} } } },
  };
}
