import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { buildOpenApi } from "./openapi";

/** Redoc's self-contained bundle, from the npm package: the reference page needs no CDN. */
const REDOC_BUNDLE = require.resolve("redoc/bundles/redoc.standalone.js");

/**
 * Redoc renders with inline styles and a worker made from a `blob:` URL; the page allows those and nothing else
 * beyond the strict policy every answer carries (lib/http/security-headers.ts).
 */
const DOCS_POLICY = [
  "default-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "worker-src 'self' blob:",
  "img-src 'self' data:",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mosaic API reference</title>
<link rel="icon" href="data:,">
</head>
<body>
<redoc spec-url="/api/openapi.json"></redoc>
<script src="/api/docs/redoc.standalone.js"></script>
</body>
</html>
`;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * `GET /api/openapi.json` (the document, built from the contracts on its first request), `GET /api/docs` (a browsable reference)
 * and the script that page runs. Each answers 304 to a client that has it already.
 */
export function apiDocsAliases(): Record<string, Handler> {
  // Built on the first request, not at start-up: most gateways never serve it.
  let document: Buffer | undefined;
  const page = Buffer.from(PAGE);
  let bundle: Promise<Buffer> | undefined;
  return {
    "GET /api/openapi.json": (req, res) => {
      document ??= Buffer.from(JSON.stringify(buildOpenApi()));
      send(req, res, document, "application/json; charset=utf-8");
    },
    "GET /api/docs": (req, res) => {
      res.setHeader("Content-Security-Policy", DOCS_POLICY);
      send(req, res, page, "text/html; charset=utf-8");
    },
    "GET /api/docs/redoc.standalone.js": (req, res) => {
      bundle ??= readFile(REDOC_BUNDLE);
      bundle.then(
        (bytes) => send(req, res, bytes, "text/javascript; charset=utf-8"),
        () => {
          bundle = undefined;
          res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("no reference bundle");
        },
      );
    },
  };
}

function send(req: IncomingMessage, res: ServerResponse, body: Buffer, contentType: string): void {
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  // Revalidated every time (the document changes with a deploy), but sent only when it did change.
  res.setHeader("Cache-Control", "no-cache");
  res.setHeader("ETag", etag);
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304).end();
    return;
  }
  res.writeHead(200, { "Content-Type": contentType, "Content-Length": body.length }).end(body);
}
