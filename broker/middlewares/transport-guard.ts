import {
  Errors,
  type ActionHandler,
  type Context,
  type Middleware,
  type Service,
  type ServiceBroker,
} from "moleculer";
import { natsClientOf } from "../nats-client";

/** Clocks of nodes differ a little: a request is refused only when it is this late by the receiver's clock. */
const CLOCK_SKEW_MS = 1_000;
/** How soon to look at the connection again once its status feed ends (the transporter replaced it). */
const REWATCH_MS = 1_000;

/** The meta field carrying when the caller stops waiting: epoch milliseconds. */
export const DEADLINE_META = "deadlineAt";

/**
 * What a node does while its NATS connection is down, so that a NATS outage costs clients a quick 503 and never a
 * write that nobody waited for:
 *
 * - calls to other nodes fail at once as unavailable (retryable) instead of waiting out the request timeout:
 *   the NATS client would only buffer them;
 * - every call to another node carries the moment its caller gives up, and a node refuses a request that reaches
 *   it later than that (the NATS client flushes what it buffered when it reconnects: without this, a post the
 *   client had given up on, and maybe retried, was created once more).
 */
export interface TransportGuard {
  middleware: Middleware;
  /** False while the NATS connection is down. */
  isOnline(): boolean;
}

export function createTransportGuard(): TransportGuard {
  let online = true;
  let broker: ServiceBroker | undefined;
  let stopped = false;

  const setOnline = (now: boolean) => {
    if (now === online) return;
    online = now;
    if (now) broker?.logger.info("NATS is back: calls to other nodes go out again");
    else broker?.logger.warn("NATS connection lost: calls to other nodes answer 503 until it is back");
  };

  /** Follows the NATS connection's status events for as long as the node runs. */
  const watch = (): void => {
    const client = natsClientOf(broker?.transit?.tx);
    if (client === undefined || stopped) return;
    void (async () => {
      for await (const status of client.status()) {
        if (status.type === "disconnect" || status.type === "staleConnection") setOnline(false);
        else if (status.type === "reconnect") setOnline(true);
      }
    })()
      .catch(() => undefined)
      .finally(() => {
        if (stopped) return;
        setOnline(true);
        setTimeout(watch, REWATCH_MS).unref();
      });
  };

  const middleware: Middleware = {
    name: "TransportGuard",
    created(created: ServiceBroker) {
      broker = created;
    },
    started() {
      watch();
      return Promise.resolve();
    },
    stopped() {
      stopped = true;
      return Promise.resolve();
    },
    remoteAction(next: ActionHandler) {
      return function guardRemote(this: Service, ctx: Context): Promise<unknown> {
        if (!online) {
          return Promise.reject(
            new Errors.ServiceNotAvailableError({
              action: ctx.action?.name ?? "unknown",
              nodeID: ctx.nodeID ?? "",
            }),
          );
        }
        const timeout = ctx.options.timeout ?? broker?.options.requestTimeout ?? 0;
        if (timeout > 0) ctx.meta = { ...ctx.meta, [DEADLINE_META]: Date.now() + timeout };
        return Promise.resolve<unknown>(next.call(this, ctx));
      };
    },
    localAction(next: ActionHandler) {
      return function guardLocal(this: Service, ctx: Context): Promise<unknown> {
        const fromElsewhere = broker !== undefined && ctx.nodeID !== broker.nodeID;
        const deadline = deadlineOf(ctx.meta);
        if (fromElsewhere && deadline !== undefined && Date.now() > deadline + CLOCK_SKEW_MS) {
          // The caller has already answered its client (a timeout): doing the work now would be a surprise.
          return Promise.reject(
            new Errors.RequestTimeoutError({
              action: ctx.action?.name ?? "unknown",
              nodeID: ctx.nodeID ?? "",
            }),
          );
        }
        return Promise.resolve<unknown>(next.call(this, ctx));
      };
    },
  };
  return { middleware, isOnline: () => online };
}

function deadlineOf(meta: unknown): number | undefined {
  if (typeof meta !== "object" || meta === null || !(DEADLINE_META in meta)) return undefined;
  const value: unknown = (meta as Record<string, unknown>)[DEADLINE_META];
  return typeof value === "number" ? value : undefined;
}
