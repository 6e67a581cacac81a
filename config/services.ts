/**
 * The services a node can host, in one place: `SERVICES` is checked against this list at start-up, and the node
 * builds what each one hosted needs (broker/create-node.ts).
 */
export const SERVICE_NAMES = [
  "gateway",
  "users",
  "graph",
  "posts",
  "timeline",
  "media",
  "transcoder",
  "interactions",
  "stories",
  "inbox",
  "search",
  "discovery",
] as const;

export type ServiceName = (typeof SERVICE_NAMES)[number];

/** `*`: every service (the embedded default); an empty list (`SERVICES=none`): an operator's console. */
export type ServiceSelection = "*" | readonly ServiceName[];

export function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}
