import type { ServiceSchema } from "moleculer";
import type { ServiceName } from "../config";
import type { AppContext } from "../lib/app-context";

/**
 * The ports a node may build (lib/app-context.ts), each one present. A node builds only what the services it
 * hosts use, so AppContext holds them as optional; a service declares the ones it needs and gets them typed
 * as present, or the node refuses to start, naming each one missing.
 */
export type Ports = { readonly [K in keyof AppContext]-?: NonNullable<AppContext[K]> };
export type PortName = Exclude<keyof Ports, "close">;

/** A service built on a node whose AppContext lacks a port the service needs: a wiring fault, not a config one. */
export class MissingPortError extends Error {
  override readonly name = "MissingPortError";
  constructor(service: ServiceName, missing: readonly string[]) {
    super(`the ${service} service needs ${missing.join(", ")}, which this node did not build`);
  }
}

/** How one service is made from the ports it needs. */
export interface PortedService<K extends PortName> {
  readonly name: ServiceName;
  readonly needs: readonly K[];
  readonly create: (ports: Pick<Ports, K>) => ServiceSchema;
}

export function withPorts<K extends PortName>(
  name: ServiceName,
  needs: readonly K[],
  create: (ports: Pick<Ports, K>) => ServiceSchema,
): PortedService<K> {
  return { name, needs, create };
}

/** The service's schema, given the node's ports; every port it needs is there, or this throws. */
export function createWithPorts<K extends PortName>(
  service: PortedService<K>,
  app: AppContext,
): ServiceSchema {
  const missing = service.needs.filter((port) => app[port] === undefined);
  if (missing.length > 0) throw new MissingPortError(service.name, missing);
  const ports = Object.fromEntries(service.needs.map((port) => [port, app[port]])) as Pick<Ports, K>;
  return service.create(ports);
}
