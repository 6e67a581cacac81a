import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ReadinessReport } from "../health/readiness";
import type { MetricsEndpoint } from "../metrics";
import { ConnectionDrain } from "./connection-drain";
import { securityHeaders } from "./security-headers";

/** Probes and scrapes answer in milliseconds; one still running after this on shutdown is cut. */
const CLOSE_GRACE_MS = 2_000;

export interface OpsEndpoints {
  readiness(): Promise<ReadinessReport>;
  metrics: MetricsEndpoint;
}

/** What an ops server answers: the probes, the metrics, or both. */
export interface OpsRoutes {
  probes: boolean;
  metrics: boolean;
}

/**
 * Liveness, readiness and metrics for a node without the gateway (a users or transcoder pod), on the node's
 * PORT, so Kubernetes probes and Prometheus scrape every pod the same way; or the metrics alone, on
 * METRICS_PORT, when they are not to be served on the port clients reach.
 */
export class OpsServer {
  private connections: ConnectionDrain | undefined;

  constructor(
    private readonly endpoints: OpsEndpoints,
    private readonly routes: OpsRoutes = { probes: true, metrics: true },
  ) {}

  async listen(port: number, host: string): Promise<number> {
    const server = http.createServer((req, res) => void this.answer(req, res));
    server.requestTimeout = 10_000;
    // Prometheus keeps its connection alive between scrapes: closing must not wait for it to time out.
    this.connections = new ConnectionDrain(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, resolve);
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const connections = this.connections;
    this.connections = undefined;
    await connections?.close(CLOSE_GRACE_MS);
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const route = `${req.method} ${req.url?.split("?")[0]}`;
    if (this.routes.probes && route === "GET /health/live")
      return send(res, 200, "application/json", JSON.stringify({ status: "live" }));
    if (this.routes.probes && route === "GET /health/ready") {
      const report = await this.endpoints
        .readiness()
        .catch((): ReadinessReport => ({ ready: false, checks: {}, missing: ["readiness"], degraded: [] }));
      const body = JSON.stringify({ status: report.ready ? "ready" : "not_ready", ...report });
      return send(res, report.ready ? 200 : 503, "application/json", body);
    }
    if (this.routes.metrics && route === "GET /metrics") {
      const { metrics } = this.endpoints;
      const body = await metrics.render().catch(() => undefined);
      if (body === undefined) {
        const envelope = { error: { code: "INTERNAL_ERROR", message: "something went wrong on our side" } };
        return send(res, 500, "application/json", JSON.stringify(envelope));
      }
      return send(res, 200, metrics.contentType, body);
    }
    send(
      res,
      404,
      "application/json",
      JSON.stringify({ error: { code: "NOT_FOUND", message: "no such route" } }),
    );
  }
}

const SECURITY_HEADERS = securityHeaders();

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
  });
  res.end(body);
}
