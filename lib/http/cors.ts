import type { IncomingMessage } from "node:http";

export interface CorsOptions {
  /** `*`, or the exact origins (`scheme://host[:port]`) allowed; none: no CORS headers at all. */
  origins: "*" | readonly string[];
  methods: readonly string[];
  allowedHeaders: readonly string[];
  exposedHeaders: readonly string[];
  maxAgeSeconds: number;
}

/**
 * Cross-origin access by an allow-list of exact origins. An origin that is not on it gets no CORS header: the
 * browser then keeps the answer from the page, and nothing else changes (the API authenticates with bearer
 * tokens, not cookies, so a cross-origin request carries no ambient credentials to refuse it for).
 */
export class CorsPolicy {
  private readonly allowed: ReadonlySet<string> | "*";

  constructor(private readonly options: CorsOptions) {
    this.allowed = options.origins === "*" ? "*" : new Set(options.origins);
  }

  /** Headers for an answer to a request from `origin`; empty when it is not allowed. */
  answerHeaders(origin: string | undefined): Record<string, string> {
    const headers: Record<string, string> = {};
    // With a list, the answer depends on the Origin: caches (media files are cached for a year) must know.
    if (this.allowed !== "*" && this.allowed.size > 0) headers.Vary = "Origin";
    const allowOrigin = this.allowOriginFor(origin);
    if (allowOrigin === undefined) return headers;
    headers["Access-Control-Allow-Origin"] = allowOrigin;
    if (this.options.exposedHeaders.length > 0) {
      headers["Access-Control-Expose-Headers"] = this.options.exposedHeaders.join(", ");
    }
    return headers;
  }

  /** Headers of a successful preflight from `origin`; undefined when the origin is not allowed. */
  preflightHeaders(origin: string | undefined): Record<string, string> | undefined {
    if (this.allowOriginFor(origin) === undefined) return undefined;
    return {
      ...this.answerHeaders(origin),
      "Access-Control-Allow-Methods": this.options.methods.join(", "),
      "Access-Control-Allow-Headers": this.options.allowedHeaders.join(", "),
      "Access-Control-Max-Age": String(this.options.maxAgeSeconds),
    };
  }

  private allowOriginFor(origin: string | undefined): string | undefined {
    if (origin === undefined || (this.allowed !== "*" && !this.allowed.has(origin))) return undefined;
    return this.allowed === "*" ? "*" : origin;
  }
}

/** A CORS preflight: an OPTIONS request naming the method the page wants to send. */
export function isPreflight(req: IncomingMessage): boolean {
  return (
    req.method === "OPTIONS" &&
    req.headers.origin !== undefined &&
    req.headers["access-control-request-method"] !== undefined
  );
}

/**
 * Parses CORS_ORIGINS: `*`, `none`, or a comma-separated list of origins, each `scheme://host[:port]` (a
 * trailing `/` and upper case are tolerated and folded to the form browsers send in `Origin`).
 */
export function parseCorsOrigins(text: string): { origins: "*" | readonly string[] } | { error: string } {
  const value = text.trim();
  if (value === "*") return { origins: "*" };
  if (value === "none") return { origins: [] };
  const origins: string[] = [];
  for (const entry of value.split(",").map((part) => part.trim())) {
    const origin = originOf(entry);
    if (origin === undefined) {
      return {
        error: `${JSON.stringify(entry)} is not an origin: write scheme://host[:port], e.g. https://app.example.com (or * for any)`,
      };
    }
    origins.push(origin);
  }
  return { origins };
}

function originOf(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return undefined;
  }
  const plain =
    (url.protocol === "http:" || url.protocol === "https:") &&
    url.username === "" &&
    url.password === "" &&
    url.pathname === "/" &&
    url.search === "" &&
    url.hash === "" &&
    !/[?#]/.test(entry);
  return plain ? url.origin : undefined;
}
