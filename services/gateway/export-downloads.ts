import type { ServerResponse } from "node:http";
import type { IncomingRequest } from "moleculer-web";
import type { BlobStore } from "../../lib/blobs";
import type { ExportUrlSigner } from "../../lib/export";
import { sendJson } from "../../lib/http/send-json";
import { serveBlob } from "../../lib/http/serve-blob";
import type { ErrorEnvelope } from "./error-envelope";

export interface ExportFiles {
  blobs: BlobStore;
  signer: ExportUrlSigner;
}

/**
 * Data export archives served from the local blob folder (embedded mode; on S3 the link is presigned there), only
 * at their signed URL: the signature names the archive's path and its expiry, so only the owner who was handed the
 * link gets it, for seven days. A forged, altered or expired link is 403; an archive deleted by the sweep, 404.
 */
export function exportDownloadAliases(files: ExportFiles) {
  const serve = (req: IncomingRequest, res: ServerResponse) => {
    const { owner = "", file = "" } = (req.$params ?? {}) as Record<string, string>;
    const path = `/exports/${owner}/${file}`;
    const refuse = (status: 403 | 404, code: string, message: string) =>
      sendJson(res, status, { error: { code, message } } satisfies ErrorEnvelope);
    if (!/^\d{1,19}$/.test(owner) || !/^\d{1,19}\.zip$/.test(file)) {
      return refuse(404, "NOT_FOUND", "no such archive");
    }
    const query = new URL(req.url ?? "/", "http://gateway").searchParams;
    const check = files.signer.check(path, query.get("exp") ?? undefined, query.get("sig") ?? undefined);
    if (check !== "valid") {
      return refuse(403, "INVALID_SIGNATURE", "this download link is not valid or has expired");
    }
    const secondsLeft = Math.max(0, Number(query.get("exp")) - Math.floor(Date.now() / 1000));
    serveBlob(files.blobs, path.slice(1), req, res, { cacheControl: `private, max-age=${secondsLeft}` }).then(
      (found) => {
        if (!found) refuse(404, "NOT_FOUND", "no such archive: it expired and was deleted");
      },
      () => {
        if (!res.headersSent) {
          sendJson(res, 503, { error: { code: "SERVICE_UNAVAILABLE", message: "try again shortly" } });
        } else res.destroy();
      },
    );
  };
  return { "GET /exports/:owner/:file": serve, "HEAD /exports/:owner/:file": serve };
}
