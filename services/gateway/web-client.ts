import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { sendJson } from "../../lib/http/send-json";

/** Paths the web client never answers, whatever is or is not routed under them. */
const RESERVED = ["/api", "/media", "/exports", "/health", "/metrics"];

/** Vite names what it builds into `assets/` by content hash: a new build is a new name, so cache it for good. */
const HASHED = "/assets/";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** Worth compressing: text. Pictures and fonts are compressed already. */
const COMPRESSIBLE = new Set([".html", ".js", ".css", ".json", ".webmanifest", ".svg", ".txt"]);

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
  gzip?: Buffer;
  br?: Buffer;
}

/**
 * The browser client (web/dist, built by Vite) at `/`: its files as built, hashed assets cached for a year,
 * everything else revalidated; any other GET that is not under /api, /media, /health or /metrics answers
 * index.html (the client routes it), so a link to `/u/ada` or a reload on it works. The files are read once,
 * at the first request, and kept in memory with their compressed forms: the whole client is a few hundred KB.
 */
export class WebClient {
  private files: Map<string, StaticFile> | undefined;
  /** Requests this answered, for their metrics label (moleculer-web rewrites `url` of the others, so it is not asked again). */
  private readonly answered = new WeakSet<IncomingMessage>();

  constructor(private readonly root: string) {}

  /** Whether this request is the web client's: a GET or HEAD outside the API, media, probes and metrics. */
  handles(req: IncomingMessage): boolean {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const pathname = pathOf(req.url);
    return !RESERVED.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
  }

  /** Whether `serve` answered this request. */
  served(req: IncomingMessage): boolean {
    return this.answered.has(req);
  }

  serve(req: IncomingMessage, res: ServerResponse): void {
    this.answered.add(req);
    const files = this.load();
    const pathname = pathOf(req.url);
    let file = files.get(pathname === "/" ? "/index.html" : pathname);
    if (file === undefined) {
      // A missing hashed asset is a stale page asking for last build's file: HTML in its place would run as
      // nothing useful, so it is a 404 that the page's error handling sees.
      const index = files.get("/index.html");
      if (pathname.startsWith(HASHED) || index === undefined) {
        sendJson(res, 404, {
          error: {
            code: "NOT_FOUND",
            message:
              index === undefined
                ? "the web client is not built on this node: run `npm run build:web` (or set WEB_DIR)"
                : "no such file",
          },
        });
        return;
      }
      file = index;
    }
    send(req, res, file);
  }

  private load(): Map<string, StaticFile> {
    if (this.files) return this.files;
    const files = new Map<string, StaticFile>();
    for (const relative of walk(this.root)) {
      const ext = path.extname(relative).toLowerCase();
      const body = readFileSync(path.join(this.root, relative));
      const urlPath = `/${relative.split(path.sep).join("/")}`;
      const file: StaticFile = {
        body,
        type: TYPES[ext] ?? "application/octet-stream",
        etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
        cacheControl: urlPath.startsWith(HASHED) ? "public, max-age=31536000, immutable" : "no-cache",
      };
      if (COMPRESSIBLE.has(ext) && body.length > 1024) {
        file.gzip = gzipSync(body, { level: 9 });
        file.br = brotliCompressSync(body);
      }
      files.set(urlPath, file);
    }
    // Nothing built yet is not remembered: a build that finishes later is served without a restart.
    if (files.size > 0) this.files = files;
    return files;
  }
}

function send(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
  res.setHeader("Cache-Control", file.cacheControl);
  res.setHeader("ETag", file.etag);
  res.setHeader("Vary", "Accept-Encoding");
  if (req.headers["if-none-match"] === file.etag) {
    res.writeHead(304).end();
    return;
  }
  const accepts = String(req.headers["accept-encoding"] ?? "");
  let body = file.body;
  if (file.br && /\bbr\b/.test(accepts)) {
    body = file.br;
    res.setHeader("Content-Encoding", "br");
  } else if (file.gzip && /\bgzip\b/.test(accepts)) {
    body = file.gzip;
    res.setHeader("Content-Encoding", "gzip");
  }
  res.writeHead(200, { "Content-Type": file.type, "Content-Length": body.length });
  res.end(req.method === "HEAD" ? undefined : body);
}

function pathOf(url: string | undefined): string {
  const raw = (url ?? "/").split("?")[0] ?? "/";
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The files under `root`, relative to it; none when it does not exist. */
function walk(root: string, dir = ""): string[] {
  let names: string[];
  try {
    names = readdirSync(path.join(root, dir));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const relative = path.join(dir, name);
    return statSync(path.join(root, relative)).isDirectory() ? walk(root, relative) : [relative];
  });
}
