import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { BlobStore } from "../blobs";
import { RangeNotSatisfiableError } from "../blobs";
import { dispositionFor } from "./security-headers";

/**
 * Answers a GET or HEAD for a stored file with what a browser or a video player needs: one byte range (206),
 * ETag revalidation (304), and by default a year of public caching, which is safe because a media key never names
 * new bytes; a file behind a signed URL passes its own `cacheControl` (private, until the URL expires). The type
 * is the one stored with the file, and only pictures and videos are shown in place (`Content-Disposition`).
 */
export async function serveBlob(
  blobs: BlobStore,
  key: string,
  req: IncomingMessage,
  res: ServerResponse,
  options: { cacheControl?: string } = {},
): Promise<boolean> {
  const info = await blobs.head(key);
  if (info === undefined) return false;
  const common = {
    "Accept-Ranges": "bytes",
    "Cache-Control": options.cacheControl ?? PUBLIC_CACHE_CONTROL,
    ETag: info.etag,
    "Content-Type": info.contentType,
    "Content-Disposition": dispositionFor(info.contentType),
  };
  if (req.headers["if-none-match"] === info.etag) {
    res.writeHead(304, common);
    res.end();
    return true;
  }
  const range = parseRange(req.headers.range, info.size);
  if (range === "unsatisfiable") {
    res.writeHead(416, { ...common, "Content-Range": `bytes */${info.size}`, "Content-Length": 0 });
    res.end();
    return true;
  }
  let blob;
  try {
    blob = await blobs.get(key, range);
  } catch (err: unknown) {
    if (!(err instanceof RangeNotSatisfiableError)) throw err;
    res.writeHead(416, { ...common, "Content-Range": `bytes */${info.size}`, "Content-Length": 0 });
    res.end();
    return true;
  }
  if (blob === undefined) return false;
  const served = blob.range;
  res.writeHead(served ? 206 : 200, {
    ...common,
    "Content-Length": served ? served.end - served.start + 1 : blob.info.size,
    ...(served && { "Content-Range": `bytes ${served.start}-${served.end}/${blob.info.size}` }),
  });
  if (req.method === "HEAD") {
    blob.body.destroy();
    res.end();
    return true;
  }
  await pipeline(blob.body, res);
  return true;
}

export const PUBLIC_CACHE_CONTROL = "public, max-age=31536000, immutable";

/** One range of `bytes=a-b`, `bytes=a-` or `bytes=-n`; anything else (several ranges, garbage) serves it all. */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined | "unsatisfiable" {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  const [, from = "", to = ""] = match;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}
