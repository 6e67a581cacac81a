import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Config } from "../../config";
import { AdaptiveLimit } from "../../lib/http/adaptive-limit";
import { Admission } from "../../lib/http/admission";
import { BodyIdleError, watchBodyIdle } from "../../lib/http/body-idle";
import { CorsPolicy, isPreflight } from "../../lib/http/cors";
import type { HttpMetrics } from "../../lib/metrics";
import { securityHeaders } from "../../lib/http/security-headers";
import { sendJson } from "../../lib/http/send-json";
import { ProxyTrust } from "../../lib/http/trust-proxy";
import type { ErrorEnvelope, HttpError } from "./error-envelope";

/** What a page on another (allowed) origin may send and read. */
const CORS = {
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
  allowedHeaders: ["Authorization", "Content-Type", "X-Request-Id", "Last-Event-ID", "Idempotency-Key"],
  exposedHeaders: ["X-Request-Id", "Retry-After", "Location", "Idempotent-Replayed"],
  maxAgeSeconds: 600,
};

/**
 * The adaptive limit's fixed parts: Envoy's window; a floor of one, which on this 2-core machine served a cached
 * read as fast as any bound and with the shortest tail (`npm run bench:overload -- --no-adaptive --limit 1`); a
 * route's fastest answer forgotten within a minute; as many routes as the API has several times over.
 */
const ADAPTIVE_LIMIT = { min: 1, windowMs: 100, minDoublingMs: 60_000, maxRoutes: 1_000 };

/**
 * What the gateway does for every request before moleculer-web routes it, so that nothing routed, unrouted or
 * failed escapes it: the security headers and the CORS headers of the caller's origin on every answer,
 * preflights answered here, the client's address as TRUST_PROXY says, the idle timeout of request bodies, and
 * the HTTP metrics of every answer.
 */
export class FrontDoor {
  private readonly headers: [string, string][];
  private readonly cors: CorsPolicy;
  private readonly trust: ProxyTrust;
  private readonly idleMs: number;
  readonly admission: Admission;
  private readonly addresses = new WeakMap<IncomingMessage, string>();
  /** Requests whose body was cut for idling: already answered (408), whatever fails after that. */
  private readonly cut = new WeakSet<IncomingMessage>();

  constructor(
    config: Pick<Config, "http" | "cors" | "blobs" | "publicUrl">,
    private readonly metrics: HttpMetrics,
  ) {
    this.headers = Object.entries(securityHeaders({ mediaOrigins: mediaOriginsOf(config) }));
    this.cors = new CorsPolicy({ origins: config.cors.origins, ...CORS });
    this.trust = new ProxyTrust(config.http.trustProxy);
    this.idleMs = config.http.bodyIdleTimeoutMs;
    const { adaptiveLimit, maxInFlight } = config.http;
    this.admission = new Admission({
      maxInFlight,
      ...(adaptiveLimit !== undefined && {
        adaptive: new AdaptiveLimit({
          ...ADAPTIVE_LIMIT,
          max: maxInFlight,
          tolerance: adaptiveLimit.tolerance,
          sustainMs: adaptiveLimit.sustainMs,
          now: () => performance.now(),
          loopBusy: loopBusySinceLastCall(),
        }),
      }),
      targetMs: config.http.queueTargetMs,
      intervalMs: config.http.queueIntervalMs,
    });
    metrics.watchAdmission(this.admission);
  }

  /**
   * Wraps the gateway's request listener. `routeOf` names a request's route for the metrics once it is answered
   * (moleculer-web has routed it by then): a template or a fixed name, never the URL.
   */
  wrap(gateway: RequestListener, routeOf: (req: IncomingMessage) => string): RequestListener {
    return (req, res) => {
      // Here, before anything else, so that every answer is counted, the front door's own included. A response
      // whose connection closed before it was sent does not finish, and is not counted.
      const started = performance.now();
      res.once("finish", () =>
        this.metrics.observe(routeOf(req), res.statusCode, (performance.now() - started) / 1000),
      );
      for (const [name, value] of this.headers) res.setHeader(name, value);
      const origin = req.headers.origin;
      if (isPreflight(req)) {
        this.answerPreflight(origin, res);
        return;
      }
      for (const [name, value] of Object.entries(this.cors.answerHeaders(origin))) res.setHeader(name, value);
      if (req.method === "OPTIONS") {
        // Not a preflight, and no route answers OPTIONS: moleculer-web would route it as the method its
        // Access-Control-Request-Method names (GET without one) and run that action, a DELETE included.
        req.resume();
        sendJson(res, 404, { error: { code: "NOT_FOUND", message: "no such route" } });
        return;
      }
      if (countsAgainstAdmission(req.url)) {
        const admitted = this.admission.tryEnter();
        if (typeof admitted === "string") {
          this.metrics.refused(admitted);
          res.setHeader("Retry-After", "1");
          sendJson(res, 503, {
            error: { code: "OVERLOADED", message: "the server is busy: try again in a moment" },
          });
          // The body is not wanted; reading it keeps the connection usable for the client's retry.
          req.resume();
          return;
        }
        res.once("close", () =>
          this.admission.leave(
            admitted,
            res.writableFinished && !timedByClient(req)
              ? { route: routeOf(req), status: res.statusCode }
              : undefined,
          ),
        );
      }
      watchBodyIdle(req, res, this.idleMs, () => this.cutIdle(req, res));
      gateway(req, res);
    };
  }

  /** The client's address: the socket's, or the one the trusted proxies forwarded for. */
  clientAddress(req: IncomingMessage): string {
    let address = this.addresses.get(req);
    if (address === undefined) {
      address = this.trust.clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"]);
      this.addresses.set(req, address);
    }
    return address;
  }

  /**
   * What a request that has nobody left to answer ended with: the front door cut its body (and answered 408), or
   * its client closed the connection before sending all of it (408 too: the client may send it again). undefined
   * for any other request. What fails after that is a consequence of it, not a fault.
   */
  abandoned(req: IncomingMessage): HttpError | undefined {
    if (!this.cut.has(req) && !(req.destroyed && !req.complete)) return undefined;
    return { status: 408, envelope: this.timeoutEnvelope(), internal: false };
  }

  private answerPreflight(origin: string | undefined, res: ServerResponse): void {
    const headers = this.cors.preflightHeaders(origin);
    if (headers === undefined) {
      sendJson(res, 403, {
        error: {
          code: "CORS_ORIGIN_NOT_ALLOWED",
          message: "cross-origin requests from this origin are not allowed",
        },
      });
      return;
    }
    res.writeHead(204, { ...headers, "Content-Length": "0" });
    res.end();
  }

  private cutIdle(req: IncomingMessage, res: ServerResponse): void {
    this.cut.add(req);
    // Node forgets a request once its answer is sent and never ends it, even when the connection closes: the
    // body is destroyed here, so whoever reads it (a JSON parser, an upload) fails and removes what it wrote.
    const abandon = () => req.destroy(new BodyIdleError(this.idleMs));
    if (res.headersSent) {
      res.destroy();
      abandon();
      return;
    }
    const socket = req.socket;
    // After the connection closed, so the 408 goes out whole before the request is torn down.
    if (socket.destroyed) abandon();
    else socket.once("close", abandon);
    res.setHeader("Connection", "close");
    sendJson(res, 408, this.timeoutEnvelope());
  }

  private timeoutEnvelope(): ErrorEnvelope {
    return {
      error: {
        code: "REQUEST_TIMEOUT",
        message: `the request body stopped arriving for ${Math.ceil(this.idleMs / 1000)} s`,
      },
    };
  }
}

/**
 * API requests, but not the event stream (a long-lived connection with its own per-user bound), nor probes,
 * metrics and media files, which must answer even when the API is saturated.
 */
/** The event loop's utilisation since the previous call (the first call: since the process started). */
function loopBusySinceLastCall(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(now, last);
    last = now;
    return since.utilization;
  };
}

/**
 * Whether a request's time is mostly its client's sending (an upload's bytes): it says nothing of how long the
 * gateway made it wait, so the adaptive limit does not learn from it.
 */
export function timedByClient(req: IncomingMessage): boolean {
  if (req.headers["transfer-encoding"] !== undefined) return true;
  return Number(req.headers["content-length"] ?? 0) > LARGE_BODY_BYTES;
}

/** A body above this takes a client on a slow link longer to send than the gateway takes to answer. */
const LARGE_BODY_BYTES = 64 * 1024;

function countsAgainstAdmission(url: string | undefined): boolean {
  if (url === undefined || !url.startsWith("/api/")) return false;
  return !(url === "/api/stream" || url.startsWith("/api/stream?"));
}

/**
 * Origins media are fetched from, or uploaded to, other than this one: the gateway's public URL (it serves the
 * embedded store's files), and with S3 the CDN in front of the bucket and the bucket's own endpoint (presigned
 * GETs and PUTs), virtual-hosted or path-style as the client is configured.
 */
export function mediaOriginsOf(config: Pick<Config, "blobs" | "publicUrl">): string[] {
  const origins = new Set<string>();
  const add = (url: string | undefined, bucketHost?: string) => {
    if (url === undefined) return;
    try {
      const parsed = new URL(url);
      if (bucketHost !== undefined) parsed.hostname = `${bucketHost}.${parsed.hostname}`;
      origins.add(parsed.origin);
    } catch {
      // config/ checked these are URLs; one that is not has no origin to allow
    }
  };
  add(config.publicUrl);
  const blobs = config.blobs;
  if (blobs.kind === "s3") {
    add(blobs.publicBaseUrl);
    const virtualHost = blobs.forcePathStyle ? undefined : blobs.bucket;
    add(blobs.endpoint ?? `https://s3.${blobs.region}.amazonaws.com`, virtualHost);
  }
  return [...origins];
}
