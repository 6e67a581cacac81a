import { Errors, type BrokerOptions } from "moleculer";
import type { Config } from "./config";
import { AppErrorsMiddleware } from "./broker/middlewares/app-errors";
import { ParamsValidatorMiddleware } from "./broker/middlewares/params-validator";
import { ResultContractMiddleware } from "./broker/middlewares/result-contract";
import { createTransportGuard } from "./broker/middlewares/transport-guard";
import { actionMetricsMiddleware } from "./broker/middlewares/action-metrics";
import type { NodeMetrics } from "./lib/metrics";
import { registerOwnerStrategy } from "./broker/owner-strategy";
import { replCommands } from "./broker/repl-commands";
import { callerProofMiddleware } from "./broker/middlewares/caller-proof";
import type { CallerProofs } from "./lib/accounts";

/** moleculer-web's action behind every HTTP request (the gateway service is named "gateway"). */
const GATEWAY_REST_ACTION = "gateway.rest";

/**
 * Broker options, built from the parsed config. Resilience is Moleculer's own: retries for retryable errors
 * (a store that blinked), a circuit breaker that opens on server-side failures only (a 4xx is the caller's
 * fault, not the endpoint's), a bulkhead per action, and a timeout on every call.
 */
export function createBrokerOptions(
  config: Config,
  metrics: NodeMetrics,
  callerProofs: () => CallerProofs | undefined = () => undefined,
): BrokerOptions {
  registerOwnerStrategy();
  return {
    nodeID: config.broker.nodeId,
    namespace: config.broker.namespace,
    transporter: config.broker.transporter
      ? {
          type: "NATS",
          // A NATS server that stops answering (rather than closing the socket) is noticed within ~6 s, not the
          // client's default of 4 minutes.
          options: { url: config.broker.transporter, pingInterval: 3_000, maxPingOut: 2 },
        }
      : null,
    logger: {
      type: "Console",
      options: { level: config.broker.logLevel, formatter: "short", colors: false },
    },
    requestTimeout: config.broker.requestTimeoutMs,
    retryPolicy: {
      enabled: true,
      retries: 3,
      delay: 100,
      maxDelay: 1000,
      factor: 2,
      // Not a timeout: the call may still be running where it went, and the caller's own deadline is spent.
      check: (err: Error) =>
        err instanceof Errors.MoleculerError && err.retryable && !(err instanceof Errors.RequestTimeoutError),
    },
    circuitBreaker: {
      enabled: true,
      threshold: 0.5,
      minRequestCount: 20,
      windowTime: 60,
      halfOpenTime: 10_000,
      check: (err: Error) => !(err instanceof Errors.MoleculerError) || err.code >= 500,
    },
    // Per action and node. Calls that last as long as a client takes (the gateway's `rest` for an event stream,
    // uploads) have their own bound instead (services/gateway.service.ts, services/media.service.ts).
    bulkhead: { enabled: true, concurrency: 64, maxQueueSize: 1000 },
    registry: {
      strategy: "RoundRobin",
      // Timeline and inbox actors are routed by the Owner strategy to the one node that owns a user; preferring a
      // local endpoint would send every call to whichever node received it.
      preferLocal: false,
    },
    tracking: { enabled: true, shutdownTimeout: config.shutdownGraceMs },
    // Moleculer's metrics cost half the CPU of a request (several label-hashed updates per call, plus bulkhead and
    // breaker gauges) and expose host details; the node's `mosaic_*` metrics (lib/metrics) replace them.
    metrics: { enabled: false },
    // Params are zod schemas checked by ParamsValidatorMiddleware; fastest-validator would not understand them.
    validator: false,
    middlewares: [
      ParamsValidatorMiddleware,
      AppErrorsMiddleware,
      ...(config.broker.checkResults ? [ResultContractMiddleware] : []),
      ...(config.broker.transporter ? [createTransportGuard().middleware] : []),
      // Outside the others (a later middleware wraps the earlier ones): a call acting for a user it cannot prove
      // is refused before anything reads its params or its caller.
      callerProofMiddleware(callerProofs),
      // Last, so that it wraps the others: a call they refuse counts as an error.
      actionMetricsMiddleware(metrics.actions, { skip: [GATEWAY_REST_ACTION] }),
    ],
    replOptions: { customCommands: replCommands(callerProofs) },
    // A node that died is dropped from every ring within seconds, so its users' actors and an interrupted fan-out
    // move to the survivors within the 10 s; the cost is a few bytes a second per node.
    heartbeatInterval: 1,
    heartbeatTimeout: 4,
  };
}
