import type { IncomingMessage, ServerResponse } from "node:http";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/** Smaller than this, compressing costs more than it saves (a header and a frame for a few bytes). */
const THRESHOLD_BYTES = 1024;
/** Brotli's quality 4 and gzip's level 6: near their best ratio on JSON for a fraction of a millisecond a page. */
const BROTLI_OPTIONS = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } };
const GZIP_OPTIONS = { level: 6 };

type Encoding = "br" | "gzip";

/**
 * Compresses JSON answers over 1 KB with what the client accepts (brotli, else gzip): a feed page of 23 KB goes
 * out in about 1.3 KB. The gateway sends an answer whole, in one `end`; that call is where it is compressed, so
 * the answer keeps its Content-Length. Anything written in pieces (the event stream, media files) and anything
 * not JSON passes untouched.
 */
export function compressJson(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
  const encoding = acceptedEncoding(req.headers["accept-encoding"]);
  addVary(res, "Accept-Encoding");
  if (encoding !== undefined) {
    let wrote = false;
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = ((...args: Parameters<typeof res.write>) => {
      wrote = true;
      return write(...args);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      const body = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      if (!wrote && !res.headersSent && Buffer.isBuffer(body) && worthCompressing(res, body)) {
        const packed =
          encoding === "br" ? brotliCompressSync(body, BROTLI_OPTIONS) : gzipSync(body, GZIP_OPTIONS);
        res.setHeader("Content-Encoding", encoding);
        res.setHeader("Content-Length", packed.length);
        return end(packed);
      }
      return (end as (...args: unknown[]) => ServerResponse)(chunk, ...rest);
    }) as typeof res.end;
  }
  next();
}

/** Adds to Vary without dropping what others put there (CORS's `Origin`). */
function addVary(res: ServerResponse, field: string): void {
  const current = res.getHeader("Vary");
  const fields = (Array.isArray(current) ? current.join(",") : String(current ?? ""))
    .split(",")
    .map((f) => f.trim())
    .filter((f) => f !== "");
  if (!fields.some((f) => f.toLowerCase() === field.toLowerCase() || f === "*")) fields.push(field);
  res.setHeader("Vary", fields.join(", "));
}

function worthCompressing(res: ServerResponse, body: Buffer): boolean {
  return (
    body.length >= THRESHOLD_BYTES &&
    res.getHeader("Content-Encoding") === undefined &&
    /^application\/json\b/i.test(String(res.getHeader("Content-Type") ?? ""))
  );
}

/** The client's preferred encoding among ours; `q=0` refuses one. */
export function acceptedEncoding(header: string | undefined): Encoding | undefined {
  if (header === undefined) return undefined;
  const accepted = new Map<string, number>();
  for (const part of header.toLowerCase().split(",")) {
    const [name = "", ...params] = part.trim().split(";");
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const weight = (name: Encoding) => accepted.get(name) ?? accepted.get("*") ?? 0;
  if (weight("br") > 0 && weight("br") >= weight("gzip")) return "br";
  if (weight("gzip") > 0) return "gzip";
  return undefined;
}
