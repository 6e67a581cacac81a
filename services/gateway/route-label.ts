import type { IncomingMessage } from "node:http";

/** The route label of a request that matched no alias: never its path, which would make a series per URL. */
export const UNMATCHED_ROUTE = "unmatched";
/** Preflights and other OPTIONS requests, which the front door answers before any routing. */
export const OPTIONS_ROUTE = "options";
/** The web client's pages and files (services/gateway/web-client.ts). */
export const WEB_ROUTE = "web";

/** What the metrics need of a moleculer-web alias (its typings omit `fullPath`). */
interface AliasTemplate {
  method: string;
  fullPath: string;
}

/** A request as moleculer-web leaves it: `$alias` once routed, `originalUrl` once its route rewrote `url`. */
interface RoutedRequest extends IncomingMessage {
  $alias?: AliasTemplate;
  originalUrl?: string;
}

/** moleculer-web's own alias lookup (a gateway method): the alias a path and method would take. */
export type ResolveAlias = (url: string, method: string) => { alias: AliasTemplate } | false | undefined;

/**
 * The route label of each request for the HTTP metrics: the template of the alias it matched (`GET
 * /api/users/:username`, `GET /health/ready`, `GET /media/:owner/:media/:file`), or a fixed name. A request that
 * failed before moleculer-web set its alias (a malformed JSON body, a refusal while overloaded) still gets its
 * route's template, looked up from its path; only a path no alias matches is "unmatched".
 */
export function routeLabeller(
  resolveAlias: ResolveAlias,
  isWeb: (req: IncomingMessage) => boolean = () => false,
): (req: IncomingMessage) => string {
  // Per alias object, so a request pays no string building once its alias has answered once.
  const labels = new WeakMap<AliasTemplate, string>();
  const lookUp = (req: RoutedRequest): AliasTemplate | undefined => {
    try {
      return (resolveAlias(pathOf(req), req.method ?? "GET") || undefined)?.alias;
    } catch {
      // moleculer-web throws on a parameter that is not valid percent-encoding (it answered that request 400):
      // this runs once the answer is sent, where a throw would take the process down.
      return undefined;
    }
  };
  return (req) => {
    const routed = req as RoutedRequest;
    if (routed.method === "OPTIONS") return OPTIONS_ROUTE;
    if (isWeb(routed)) return WEB_ROUTE;
    const alias = routed.$alias ?? lookUp(routed);
    if (alias === undefined) return UNMATCHED_ROUTE;
    let label = labels.get(alias);
    if (label === undefined) {
      label = `${alias.method} ${alias.fullPath}`;
      labels.set(alias, label);
    }
    return label;
  };
}

/** The path as moleculer-web matches it: no query, no trailing slash. */
function pathOf(req: RoutedRequest): string {
  const url = req.originalUrl ?? req.url ?? "/";
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}
