import { BlockList, isIP } from "node:net";

/**
 * Which proxies in front of the gateway are believed when they say, in `X-Forwarded-For`, whom they forwarded
 * for. `hops`: that many proxies, whatever their addresses (an ingress at a known depth); `networks`: proxies
 * whose addresses fall in these networks. With `none` the socket's address is the client's.
 */
export type TrustProxy =
  | { readonly kind: "none" }
  | { readonly kind: "hops"; readonly hops: number }
  | { readonly kind: "networks"; readonly networks: readonly ProxyNetwork[] };

export interface ProxyNetwork {
  readonly family: "ipv4" | "ipv6";
  readonly address: string;
  readonly prefix: number;
}

const MAX_HOPS = 32;

/**
 * Parses TRUST_PROXY: `none` (or `off`), a hop count, or a comma-separated list of addresses and CIDR networks,
 * IPv4 or IPv6 (`10.0.0.0/8,127.0.0.1,::1/128`). Answers `{ error }` with what is wrong otherwise.
 */
export function parseTrustProxy(text: string): TrustProxy | { error: string } {
  const value = text.trim();
  if (value === "none" || value === "off" || value === "0") return { kind: "none" };
  if (value === "on") {
    return {
      error:
        "`on` believed any client's X-Forwarded-For; name the proxies instead: a hop count (e.g. 1) or their networks (e.g. 10.0.0.0/8)",
    };
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_HOPS) return { error: `at most ${MAX_HOPS} hops` };
    return { kind: "hops", hops };
  }
  const networks: ProxyNetwork[] = [];
  for (const entry of value.split(",").map((part) => part.trim())) {
    const network = parseNetwork(entry);
    if (network === undefined) {
      return {
        error: `${JSON.stringify(entry)} is neither an address nor a CIDR network; write none, a hop count, or e.g. 10.0.0.0/8,::1/128`,
      };
    }
    networks.push(network);
  }
  return { kind: "networks", networks };
}

function parseNetwork(entry: string): ProxyNetwork | undefined {
  const match = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(entry);
  if (!match) return undefined;
  const [, rawAddress = "", rawPrefix] = match;
  const family = isIP(rawAddress);
  if (family === 0 || rawAddress.includes("%")) return undefined;
  const bits = family === 4 ? 32 : 128;
  const prefix = rawPrefix === undefined ? bits : Number(rawPrefix);
  if (prefix > bits) return undefined;
  const mapped = family === 6 ? ipv4MappedOf(rawAddress) : undefined;
  // Addresses are compared with IPv4-mapped IPv6 ones unwrapped, so a network written that way is unwrapped too.
  if (mapped !== undefined && prefix >= 96) return { family: "ipv4", address: mapped, prefix: prefix - 96 };
  return { family: family === 4 ? "ipv4" : "ipv6", address: rawAddress.toLowerCase(), prefix };
}

/**
 * Finds the client's address the way Express's `trust proxy` does: start from the socket's address and walk
 * `X-Forwarded-For` from the right (each proxy appends the address it received from); every address that is a
 * trusted proxy passes the question one hop further left, and the first one that is not is the client. When
 * every hop is trusted, the leftmost is the client. Entries left of the trusted hops are whatever the client
 * wrote, so they are never reached unless the proxies in between are trusted.
 */
export class ProxyTrust {
  private readonly networks: BlockList | undefined;

  constructor(private readonly trust: TrustProxy) {
    if (trust.kind === "networks") {
      const list = new BlockList();
      for (const network of trust.networks) list.addSubnet(network.address, network.prefix, network.family);
      this.networks = list;
    }
  }

  clientAddress(
    socketAddress: string | undefined,
    forwardedFor: string | readonly string[] | undefined,
  ): string {
    let client = (socketAddress === undefined ? undefined : normalizeAddress(socketAddress)) ?? "unknown";
    if (this.trust.kind === "none" || forwardedFor === undefined) return client;
    const hops = (typeof forwardedFor === "string" ? forwardedFor : forwardedFor.join(",")).split(",");
    for (let index = 0; this.trusts(client, index); index++) {
      const next = hops[hops.length - 1 - index];
      if (next === undefined) break;
      const address = normalizeAddress(next);
      // A hop that is no address was not written by a proxy we trust: the last address we could read stands.
      if (address === undefined) break;
      client = address;
    }
    return client;
  }

  /** Whether `address`, `index` hops from the gateway (0: the socket's peer), is a proxy we trust. */
  private trusts(address: string, index: number): boolean {
    switch (this.trust.kind) {
      case "none":
        return false;
      case "hops":
        return index < this.trust.hops;
      case "networks": {
        const family = isIP(address);
        if (family === 0) return false;
        return this.networks?.check(address, family === 4 ? "ipv4" : "ipv6") ?? false;
      }
    }
  }
}

/**
 * One address as it appears in a socket or an X-Forwarded-For entry, unwrapped to the form the limiter keys on:
 * `[v6]:port` and `v4:port` lose their port, an IPv4-mapped IPv6 address becomes IPv4, and IPv6 is lower-case.
 * undefined when it is no address at all.
 */
export function normalizeAddress(text: string): string | undefined {
  let value = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed) value = bracketed[1] ?? "";
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(value)) value = value.slice(0, value.lastIndexOf(":"));
  const family = isIP(value);
  if (family === 0) return undefined;
  if (family === 4) return value;
  // A zone (fe80::1%eth0) names a link of this host, not a client.
  const unzoned = value.split("%")[0]?.toLowerCase() ?? "";
  if (isIP(unzoned) !== 6) return undefined;
  return ipv4MappedOf(unzoned) ?? unzoned;
}

function ipv4MappedOf(address: string): string | undefined {
  const tail = /^(?:::|(?:0{1,4}:){5})ffff:(.+)$/i.exec(address)?.[1];
  if (tail === undefined) return undefined;
  if (isIP(tail) === 4) return tail;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(tail);
  if (!hex) return undefined;
  const high = parseInt(hex[1] ?? "0", 16);
  const low = parseInt(hex[2] ?? "0", 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}
