import { createHash } from "node:crypto";
import { Strategies, type Context, type Endpoint, type Registry, type ServiceBroker } from "moleculer";

const VNODES_PER_NODE = 64;
/** Owners of recently routed keys; a ring change clears it. */
const MAX_CACHED_KEYS = 10_000;

interface RingPoint {
  point: number;
  nodeID: string;
}

/**
 * Routes every call about one user to the one node that owns that user (the timeline and inbox actors), by
 * consistent hashing over the nodes that host the action.
 *
 * Moleculer's Shard strategy is not used because its ring is built from the endpoints *available* at the first
 * call after a node event: an endpoint whose circuit breaker is open at that moment (its node was just killed
 * and its calls failed) is left out of that caller's ring, and stays out until the next node event. Two callers
 * then disagree about a user's owner for as long as the cluster stays as it is: one writes to a node that the
 * other never reads from, and an actor's memory misses those writes for good.
 *
 * Here the ring holds every node that hosts the action, whatever its circuit's state, and is rebuilt whenever
 * that set changes; every caller that sees the same nodes picks the same owner. When the owner cannot be called
 * now (open circuit), no endpoint is chosen and the call fails as retryable, rather than handing the user to a
 * node that would then hold a second, diverging copy of its state.
 */
export class OwnerStrategy extends Strategies.Base {
  private readonly shardKey: string | undefined;
  private members = "";
  private ring: RingPoint[] = [];
  private readonly owners = new Map<string, string>();

  constructor(registry: Registry, broker: ServiceBroker, opts?: object) {
    super(registry, broker, opts);
    this.shardKey = shardKeyOf(opts);
  }

  override select(list: Endpoint[], ctx?: Context): Endpoint {
    const key = ctx === undefined ? undefined : this.keyOf(ctx);
    if (key === undefined) return list[Math.floor(Math.random() * list.length)] as Endpoint;
    const hosts = this.hostsOf(list);
    const members = hosts.join(",");
    if (members !== this.members) this.rebuild(hosts, members);
    const owner = this.ownerOf(key);
    // Moleculer's typings promise an endpoint; EndpointList.next takes none as "not available now", and the
    // caller gets a retryable ServiceNotAvailableError.
    return list.find((ep) => ep.id === owner) as Endpoint;
  }

  private keyOf(ctx: Context): string | undefined {
    const shardKey = this.shardKey;
    if (shardKey === undefined) return undefined;
    const value = shardKey.startsWith("#")
      ? pathOf(ctx.meta, shardKey.slice(1))
      : pathOf(ctx.params, shardKey);
    return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
  }

  /** Every node hosting the action: `list` has only those whose circuit is closed. */
  private hostsOf(list: Endpoint[]): string[] {
    const actionName = actionNameOf(list[0]);
    return actionName === undefined ? sortedIds(list) : hostsOfAction(this.registry, actionName);
  }

  private rebuild(hosts: readonly string[], members: string): void {
    this.ring = ringOf(hosts);
    this.members = members;
    this.owners.clear();
  }

  private ownerOf(key: string): string | undefined {
    const cached = this.owners.get(key);
    if (cached !== undefined) return cached;
    const owner = lookup(this.ring, key);
    if (owner !== undefined) {
      if (this.owners.size >= MAX_CACHED_KEYS) this.owners.clear();
      this.owners.set(key, owner);
    }
    return owner;
  }
}

/** The node that owns `key` among `nodeIDs`: the answer every caller that sees these nodes computes. */
export function ownerAmong(nodeIDs: readonly string[], key: string): string | undefined {
  return lookup(ringOf([...new Set(nodeIDs)].sort()), key);
}

function ringOf(hosts: readonly string[]): RingPoint[] {
  return hosts
    .flatMap((nodeID) =>
      Array.from({ length: VNODES_PER_NODE }, (_, i) => ({ point: hash32(`${nodeID}#${i}`), nodeID })),
    )
    .sort((a, b) => a.point - b.point || (a.nodeID < b.nodeID ? -1 : 1));
}

/** The first point at or after the key's hash, wrapping around: a node joining or leaving moves only its share. */
function lookup(ring: readonly RingPoint[], key: string): string | undefined {
  if (ring.length === 0) return undefined;
  const h = hash32(key);
  let lo = 0;
  let hi = ring.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ring[mid]?.point ?? 0) < h) lo = mid + 1;
    else hi = mid;
  }
  return (ring[lo] ?? ring[0])?.nodeID;
}

function hash32(text: string): number {
  return createHash("md5").update(text).digest().readUInt32BE(0);
}

function shardKeyOf(opts: unknown): string | undefined {
  if (typeof opts !== "object" || opts === null || !("shardKey" in opts)) return undefined;
  return typeof opts.shardKey === "string" ? opts.shardKey : undefined;
}

function pathOf(source: unknown, path: string): unknown {
  let value = source;
  for (const part of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function actionNameOf(endpoint: Endpoint | undefined): string | undefined {
  if (endpoint === undefined || !("action" in endpoint)) return undefined;
  const action: unknown = endpoint.action;
  if (typeof action !== "object" || action === null || !("name" in action)) return undefined;
  return typeof action.name === "string" ? action.name : undefined;
}

/** The name actions give as their `strategy`: a name, since action schemas travel between nodes as JSON. */
export const OWNER_STRATEGY = "Owner";

/** Makes OWNER_STRATEGY known to this process's brokers; every node calls it before creating one. */
export function registerOwnerStrategy(): void {
  // Moleculer's typings ask for an instance, but resolve() hands the registered value to `new`: it is the class.
  Strategies.register(OWNER_STRATEGY, OwnerStrategy as unknown as InstanceType<typeof Strategies.Base>);
}

/**
 * Tells an actor service when the ring of its owners changed, as this node sees it: the set of nodes hosting
 * `actionName`. Other node events (a gateway joining) leave every owner where it was, so memory stays.
 */
export class OwnerRing {
  private members: string | undefined;

  constructor(
    private readonly broker: ServiceBroker,
    private readonly actionName: string,
  ) {}

  /**
   * Records the hosts as they are once this node's own services are registered: a service's `started` runs
   * just before that, and its own registration must not count as a change.
   */
  recordIncluding(nodeID: string): void {
    this.members = [...new Set([...hostsOfAction(this.broker.registry, this.actionName), nodeID])]
      .sort()
      .join(",");
  }

  /** True when the hosts differ from the last call's (the first call only records them). */
  changed(): boolean {
    const members = hostsOfAction(this.broker.registry, this.actionName).join(",");
    const changed = this.members !== undefined && members !== this.members;
    this.members = members;
    return changed;
  }
}

/** The nodes hosting an action, whatever their circuits say, sorted: what every caller builds its ring from. */
function hostsOfAction(registry: Registry, actionName: string): string[] {
  return sortedIds(registry.getActionEndpoints(actionName)?.endpoints ?? []);
}

function sortedIds(endpoints: readonly Endpoint[]): string[] {
  return [...new Set(endpoints.map((ep) => ep.id))].sort();
}
