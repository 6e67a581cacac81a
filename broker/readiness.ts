import type { ServiceBroker } from "moleculer";
import { hostsService } from "../config";
import type { AppContext } from "../lib/app-context";
import { assessReadiness, type ReadinessReport } from "../lib/health/readiness";
import { apiRoutes } from "../services/gateway/routes";
import { natsClientOf } from "./nats-client";

/** Longer than a healthy round trip to NATS by far, shorter than a Kubernetes probe's default 1 s timeout. */
const TRANSPORTER_PROBE_TIMEOUT_MS = 800;

/**
 * Every action a gateway calls: its routes', plus the token check behind every authenticated route and the
 * replay behind a resumed event stream.
 */
export const GATEWAY_DEPENDENCIES: readonly string[] = [
  ...new Set([
    ...Object.values(apiRoutes).map((route) => route.action),
    "users.authenticate",
    "inbox.replay",
  ]),
];

/** `/health/ready` of this node, the gateway's and the ops server's alike. */
export function nodeReadiness(broker: ServiceBroker, app: AppContext): () => Promise<ReadinessReport> {
  const { config, store, blobs, redis } = app;
  return () =>
    assessReadiness({
      brokerStarted: broker.started,
      ...(config.broker.transporter !== undefined && { transporter: () => transporterAnswers(broker) }),
      ...(store && { store: () => store.isReady() }),
      ...(blobs && { blobs: () => blobs.isReady() }),
      ...(hostsService(config, "gateway") && {
        actions: {
          required: GATEWAY_DEPENDENCIES,
          isAvailable: (action: string) => broker.registry.actions.isAvailable(action),
        },
      }),
      ...(redis && { redis: () => redis.available }),
    });
}

/**
 * Moleculer's own flag turns false only when the transporter is closed for good; its NATS client reconnects
 * forever and says nothing meanwhile. A round trip to the server (rejected at once while disconnected) is the
 * truth.
 */
async function transporterAnswers(broker: ServiceBroker): Promise<boolean> {
  const transit = broker.transit;
  if (transit === undefined || !transit.connected) return false;
  const client = natsClientOf(transit.tx);
  if (client === undefined) return true;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      client.rtt().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>(
        (resolve) => (timer = setTimeout(() => resolve(false), TRANSPORTER_PROBE_TIMEOUT_MS)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
