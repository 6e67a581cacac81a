import type { RequestListener, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import ApiGateway, {
  type ApiSettingsSchema,
  type GatewayResponse,
  type IncomingRequest,
  type Route,
} from "moleculer-web";
import type { Config } from "../config";
import type { CallerMeta } from "../broker/define-action";
import { call } from "../broker/calls";
import type { Caller } from "../lib/accounts";
import type { BlobStore } from "../lib/blobs";
import { UnauthorizedError, UnsupportedMediaTypeError } from "../lib/errors";
import { sendJson } from "../lib/http/send-json";
import type { HttpMetrics, MetricsEndpoint } from "../lib/metrics";
import { serveBlob } from "../lib/http/serve-blob";
import type { MediaFileAccess } from "../lib/media-library/media-access";
import type { MediaUrlSigner } from "../lib/media-library/signed-urls";
import { MAX_UPLOAD_BYTES } from "../lib/media-library/limits";
import { jsonBody } from "../lib/http/json-body";
import { bearerToken, requestIdFor } from "../lib/http/request-meta";
import type { RateLimiter } from "../lib/rate-limit/rate-limiter";
import { toMoleculerError } from "../broker/middlewares/app-errors";
import { toHttpError, type ErrorEnvelope } from "./gateway/error-envelope";
import type { EventStreams } from "./gateway/event-streams";
import { GatewayRateLimits } from "./gateway/rate-limits";
import { streamAlias } from "./gateway/stream-route";
import { contractOf, type PayloadOf } from "../lib/contracts";
import { aliasesFor, multipartAliasesFor, routeOf } from "./gateway/routes";
import { WebClient } from "./gateway/web-client";
import { FrontDoor, mediaOriginsOf } from "./gateway/front-door";
import { routeLabeller, type ResolveAlias } from "./gateway/route-label";
import { answerClientError, answerConnect } from "../lib/http/client-error";
import { securityHeaders } from "../lib/http/security-headers";
import { multipartUpload } from "./gateway/multipart-upload";
import { GatewayIdempotency } from "./gateway/idempotency";
import { pickEndpointForCaller } from "./gateway/caller-endpoint";
import { locationOf } from "./gateway/location";
import { apiDocsAliases } from "./gateway/api-docs";
import { exportDownloadAliases, type ExportFiles } from "./gateway/export-downloads";
import { compressJson } from "./gateway/compress";
import type { IdempotencyKeys } from "../lib/idempotency";

const JSON_LIMIT_BYTES = 1024 * 1024;
const JSON_TYPE = "application/json; charset=utf-8";
/**
 * How much of a refused JSON body is read before the answer: clients that send the whole body before reading
 * get their 413 (not a reset) for bodies up to 16 times the limit.
 */
const JSON_DRAIN_LIMIT_BYTES = 16 * JSON_LIMIT_BYTES;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, boolean>;
}

export interface GatewayDeps {
  config: Config;
  rateLimiter: RateLimiter;
  /** The node's metrics: served at `/metrics`, and the HTTP requests counted into them. */
  metrics: MetricsEndpoint & { http: HttpMetrics };
  readiness: () => Promise<ReadinessReport>;
  /**
   * The local blob folder, when this gateway serves media files itself (embedded mode), with who may fetch each
   * file and the key of signed URLs.
   */
  files: MediaFiles | undefined;
  /** The local blob folder and the key of archive links, when this gateway serves data exports itself. */
  exportFiles?: ExportFiles | undefined;
  /** This node's open `/api/stream` connections. */
  streams: EventStreams;
  /** Idempotency keys in the shared store; absent when this node has none to share (the header is then ignored). */
  idempotency: IdempotencyKeys | undefined;
}

type GatewayContext = Context<
  unknown,
  CallerMeta & { $statusCode?: number; $location?: string; $responseType?: string }
>;

/** The HTTP edge: api.md's routes onto actions, auth, limits, and one error envelope for every failure. */
export function createGatewayService(deps: GatewayDeps): ServiceSchema<ApiSettingsSchema> {
  const limits = new GatewayRateLimits(deps.rateLimiter, deps.config.rateLimits);
  const { streams } = deps;
  // Bound once created: authenticating a stream's token is a call to the users service.
  let broker: ServiceBroker | undefined;
  const authenticateToken = (token: string): Promise<Caller> => {
    if (!broker) return Promise.reject(new UnauthorizedError());
    return call(broker, "users.authenticate", { token });
  };
  const idempotency = new GatewayIdempotency(deps.idempotency, (message, err) =>
    broker?.logger.warn(message, err),
  );
  // Security and CORS headers, preflights, client addresses and body idle timeouts, for every request.
  const frontDoor = new FrontDoor(deps.config, deps.metrics.http);

  // moleculer-web formats a coloured line for every request and response before it asks whether the logger
  // would print it; at the levels that never print those lines (debug and trace do) the routes skip them.
  const logging = deps.config.broker.logLevel === "debug" || deps.config.broker.logLevel === "trace";
  const apiHooks = {
    logging,
    authentication: true,
    authorization: true,
    async onBeforeCall(ctx: GatewayContext, _route: Route, req: IncomingRequest) {
      const route = routeOf(req.$alias?.action);
      if (route) await limits.checkIp(route, frontDoor.clientAddress(req));
      if (route?.action === "users.login" || route?.action === "users.signup") {
        const userAgent = req.headers["user-agent"] ?? "";
        ctx.meta.client = { address: frontDoor.clientAddress(req), userAgent: userAgent.slice(0, 256) };
      }
      // An action that answers its JSON text (lib/contracts/serialized.ts): moleculer-web sends a text with a
      // response type as it is.
      if (route && contractOf(route.action)?.serialized) ctx.meta.$responseType = JSON_TYPE;
    },
    async onAfterCall(
      ctx: GatewayContext,
      _route: Route,
      req: IncomingRequest,
      res: GatewayResponse,
      data: unknown,
    ) {
      const route = routeOf(req.$alias?.action);
      res.setHeader("Cache-Control", "no-store");
      // An action may answer another success itself (200 for a conversation that already existed).
      if (route?.status !== undefined) ctx.meta.$statusCode ??= route.status;
      if (ctx.meta.$statusCode === 201) ctx.meta.$location = locationOf(route?.action, data);
      const answer = route?.status === 204 ? null : data;
      await idempotency.answered(req, ctx.meta.$statusCode ?? 200, ctx.meta.$location, answer); // Idempotency-Key
      // JSON text goes out as bytes, encoded once. Handed a string, Node measures its bytes for the headers and
      // then encodes it as it writes, and a feed page's text, joined from many pieces, is copied flat first:
      // that measuring was a twentieth of a feed request's CPU.
      return typeof answer === "string" && ctx.meta.$responseType === JSON_TYPE
        ? Buffer.from(answer)
        : answer;
    },
  };

  return {
    name: "gateway",
    mixins: [ApiGateway],
    settings: {
      port: deps.config.http.port,
      ip: deps.config.http.host,
      log4XXResponses: false,
      logRequest: "debug",
      logResponse: "debug",
      // moleculer-web also takes a function here (its typings say only an object): it names the root context.
      rootCallOptions: ((options: { requestID?: string }, req: IncomingRequest) => {
        options.requestID = requestIdFor(req);
      }) as unknown as ApiSettingsSchema["rootCallOptions"],
      routes: [
        {
          // Routes sharing a path need names, or moleculer-web keeps only the last one.
          name: "api-json",
          path: "/api",
          mappingPolicy: "restrict",
          aliases: aliasesFor("json"),
          bodyParsers: false,
          use: [
            compressJson,
            withMoleculerErrors(
              jsonBody({ limitBytes: JSON_LIMIT_BYTES, drainLimitBytes: JSON_DRAIN_LIMIT_BYTES }),
            ),
          ],
          ...apiHooks,
        },
        {
          // Uploads: the body is the file, streamed to the media service, never parsed or buffered here.
          name: "api-uploads",
          path: "/api",
          mappingPolicy: "restrict",
          aliases: {
            ...multipartAliasesFor(
              multipartUpload({
                maxFileBytes: MAX_UPLOAD_BYTES,
                afterCall: (ctx, req, res, data) =>
                  apiHooks.onAfterCall(ctx as GatewayContext, req.$route, req, res, data),
                // Alt text sent after the file describes the media just made.
                lateFields: async (ctx, action, data, fields) => {
                  const { altText, ...rest } = fields;
                  const id = (data as { id?: unknown } | null)?.id;
                  if (action !== "media.upload" || altText === undefined || typeof id !== "string")
                    return undefined;
                  if (Object.keys(rest).length > 0) return undefined;
                  return call(ctx, "media.describe", { id, altText });
                },
              }),
            ),
            ...aliasesFor("stream"),
          },
          bodyParsers: false,
          ...apiHooks,
        },
        {
          // Server-sent events: a long-lived response written by the event streams, not an action's answer.
          name: "api-stream",
          path: "/api",
          logging,
          mappingPolicy: "restrict",
          bodyParsers: false,
          aliases: { "GET /stream": streamAlias(streams, authenticateToken) },
        },
        {
          name: "ops",
          path: "/",
          logging,
          mappingPolicy: "restrict",
          bodyParsers: false,
          aliases: {
            "GET /health/live"(_req: IncomingRequest, res: ServerResponse) {
              sendJson(res, 200, { status: "live" });
            },
            "GET /health/ready"(_req: IncomingRequest, res: ServerResponse) {
              void deps
                .readiness()
                .catch((): ReadinessReport => ({ ready: false, checks: {} }))
                .then((report) =>
                  sendJson(res, report.ready ? 200 : 503, {
                    status: report.ready ? "ready" : "not_ready",
                    ...report,
                  }),
                );
            },
            // On the public port unless METRICS_PORT moved them (broker/create-node.ts serves them there).
            ...(deps.config.http.metricsPort === undefined && {
              "GET /metrics"(_req: IncomingRequest, res: ServerResponse) {
                const { metrics } = deps;
                metrics.render().then(
                  (body) => {
                    res.writeHead(200, { "Content-Type": metrics.contentType, "Cache-Control": "no-store" });
                    res.end(body);
                  },
                  () => {
                    if (res.headersSent) res.destroy();
                    else
                      sendJson(res, 500, {
                        error: { code: "INTERNAL_ERROR", message: "something went wrong on our side" },
                      });
                  },
                );
              },
            }),
            ...apiDocsAliases(),
            ...(deps.files && mediaFileAliases(deps.files)),
            ...(deps.exportFiles && exportDownloadAliases(deps.exportFiles)),
          },
        },
      ],
      onError(this: GatewayThis, req: IncomingRequest, res: ServerResponse, err: unknown) {
        // A body cut for idling was answered already (408), and a client gone has nobody to answer: what failed
        // after that is the cut, not a fault. The answer still goes through the idempotency record (as a 408).
        const abandoned = frontDoor.abandoned(req);
        const http = abandoned ?? toHttpError(err);
        if (http.internal) {
          this.logger.error("request failed", req.method, req.url, "from", frontDoor.clientAddress(req), err);
        }
        if (res.headersSent) {
          if (abandoned === undefined) {
            res.destroy();
            return;
          }
        } else {
          const requestId = req.$ctx?.requestID;
          if (requestId) res.setHeader("X-Request-Id", requestId);
          if (http.retryAfterSeconds !== undefined)
            res.setHeader("Retry-After", String(http.retryAfterSeconds));
        }
        // Idempotency-Key: a replay, a refusal of the key, or an error recorded before it is sent.
        idempotency.answerError(req, res, http, (answer) => {
          if (!res.headersSent) sendJson(res, answer.status, answer.envelope);
        });
      },
    },
    events: {
      "stream.deliver": {
        handler(ctx: Context<PayloadOf<"stream.deliver">>) {
          streams.deliver(ctx.params);
        },
      },
      "stream.session-ended": {
        handler(ctx: Context<PayloadOf<"stream.session-ended">>) {
          streams.endSession(ctx.params);
        },
      },
    },
    actions: {
      // The calls behind a request are retried where they fail; retrying the whole request would replay it
      // against a body stream that is already consumed.
      // Every HTTP request is one call of this action, held for as long as its response is open: an event stream
      // for hours. Under the broker's bulkhead (64 per action), the 65th open stream left every request of the
      // node queued behind the streams. The front door bounds the API's requests (MAX_IN_FLIGHT) instead.
      rest: { retryPolicy: { enabled: false }, bulkhead: { enabled: false } },
    },
    methods: {
      async authenticate(ctx: GatewayContext, _route: Route, req: IncomingRequest): Promise<Caller | null> {
        const route = routeOf(req.$alias?.action);
        if (route === undefined || route.auth === "none") return null;
        const token = bearerToken(req);
        if (!token) throw new UnauthorizedError();
        return call(ctx, "users.authenticate", { token });
      },
      async authorize(ctx: GatewayContext, _route: Route, req: IncomingRequest): Promise<void> {
        // After authentication, so that an anonymous caller learns nothing but 401.
        const route = routeOf(req.$alias?.action);
        if (
          route?.body === "multipart" &&
          !/^multipart\/form-data\s*;/i.test(req.headers["content-type"] ?? "")
        ) {
          throw new UnsupportedMediaTypeError(
            "UNSUPPORTED_MEDIA_TYPE",
            "send the file as multipart/form-data",
          );
        }
        const userId = ctx.meta.user?.userId;
        if (userId !== undefined) {
          if (broker) pickEndpointForCaller(broker, ctx, req);
          await limits.checkWrite(req.method ?? "GET", userId);
          await idempotency.begin(req, userId); // Idempotency-Key: before the quota, which a replay does not spend
          if (route?.quota !== undefined) await limits.checkQuota(route.quota, userId);
        }
      },
    },
    created(this: { broker: ServiceBroker }) {
      broker = this.broker;
      // The front door goes before moleculer-web's own listener, added when the mixin created the server.
      const self = this as unknown as GatewayThis;
      const { server } = self;
      const gateway = server.listeners("request") as RequestListener[];
      server.removeAllListeners("request");
      // The web client's pages and files are answered before moleculer-web, which would route them as API calls.
      const web = new WebClient(deps.config.http.webDir);
      server.on(
        "request",
        frontDoor.wrap(
          (req, res) => {
            if (web.handles(req)) web.serve(req, res);
            else gateway.forEach((listener) => listener.call(server, req, res));
          },
          routeLabeller(
            (url, method) => self.resolveAlias(url, method),
            (req) => web.served(req),
          ),
        ),
      );
      // What Node's parser refuses (a malformed request line or header, headers too large) and CONNECT (this is no
      // proxy) get the envelope too, not a bare status line or a silent close.
      const headers = securityHeaders({ mediaOrigins: mediaOriginsOf(deps.config) });
      server.on("clientError", (err: Error, socket: Duplex) => answerClientError(err, socket, headers));
      server.on("connect", (_req: unknown, socket: Duplex) => answerConnect(socket, headers));
    },
    stopped() {
      // The node closes them before stopping; this is for a gateway destroyed on its own.
      streams.closeAll();
    },
    started() {
      // Bound how long a slow client may hold a connection while sending headers. A body is bounded by its idle
      // timeout (BODY_IDLE_TIMEOUT_MS) instead of a whole-request one, which would cut a 200 MB upload on a slow
      // but steady link.
      const { server } = this as unknown as GatewayThis; // the moleculer-web mixin adds `server`
      server.headersTimeout = 15_000;
      server.requestTimeout = 0;
      server.keepAliveTimeout = 5_000;
    },
  };
}

interface GatewayThis {
  logger: { error(...args: unknown[]): void };
  server: Server;
  /** moleculer-web's alias lookup (its typings omit it). */
  resolveAlias: ResolveAlias;
}

type ConnectMiddleware = (req: IncomingRequest, res: ServerResponse, next: (err?: unknown) => void) => void;

/** moleculer-web turns any other error a route middleware passes on into a 500; hand it one it keeps. */
function withMoleculerErrors(middleware: ConnectMiddleware): ConnectMiddleware {
  return (req, res, next) =>
    middleware(req, res, (err?: unknown) => next(err === undefined ? err : toMoleculerError(err)));
}

export interface MediaFiles {
  blobs: BlobStore;
  access: MediaFileAccess;
  signer: MediaUrlSigner;
}

/**
 * Variants (never originals: they may carry GPS) served from the local blob folder, with ranges. A public
 * media's file is served to anyone and cached a year; any other only with a valid, unexpired signature
 * (`?exp=&sig=`), cached privately until it expires. A plain URL of a private file, a bad or expired signature,
 * a deleted media: all 404, as for a file that does not exist.
 */
function mediaFileAliases(files: MediaFiles) {
  const serve = (req: IncomingRequest, res: ServerResponse) => {
    const { owner = "", media = "", file = "" } = (req.$params ?? {}) as Record<string, string>;
    const key = `media/${owner}/${media}/${file}`;
    const valid = /^\d{1,19}$/.test(owner) && /^\d{1,19}$/.test(media) && /^[a-z0-9]+\.[a-z0-9]+$/.test(file);
    const notFound = () =>
      sendJson(res, 404, { error: { code: "NOT_FOUND", message: "no such file" } } satisfies ErrorEnvelope);
    if (!valid) return notFound();
    const query = new URL(req.url ?? "/", "http://gateway").searchParams;
    const exp = query.get("exp") ?? undefined;
    const sig = query.get("sig") ?? undefined;
    files.access
      .of(owner, media)
      .then((access) => {
        if (access === "gone") return false;
        if (exp === undefined && sig === undefined) {
          return access === "public" && serveBlob(files.blobs, key, req, res);
        }
        // A signed URL of a public file works too: it was public or private when minted, and is still allowed.
        if (files.signer.check(`/${key}`, exp, sig) !== "valid") return false;
        const maxAge = files.signer.secondsLeft(Number(exp));
        return serveBlob(files.blobs, key, req, res, { cacheControl: `private, max-age=${maxAge}` });
      })
      .then(
        (found) => {
          if (!found) notFound();
        },
        () => {
          if (!res.headersSent) {
            sendJson(res, 503, { error: { code: "SERVICE_UNAVAILABLE", message: "try again shortly" } });
          } else res.destroy();
        },
      );
  };
  return { "GET /media/:owner/:media/:file": serve, "HEAD /media/:owner/:media/:file": serve };
}
