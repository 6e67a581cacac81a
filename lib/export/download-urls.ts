import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

const LABEL = "mosaic export url v1";

/**
 * The key of archive download URLs, derived from the token key with a label of its own: no media URL can pass
 * for an archive's (nor the reverse), and nothing new is configured or shared between nodes.
 */
export function deriveExportUrlKey(tokenSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", tokenSecret, Buffer.alloc(0), LABEL, 32));
}

/** The gateway's path of an archive (embedded blobs): the blob key, which names its owner and its export. */
export function exportPathOf(blobKey: string): string {
  return `/${blobKey}`;
}

export type DownloadCheck = "valid" | "invalid" | "expired";

/**
 * Signs and checks the gateway's download URLs of archives (embedded blob store; S3 presigns its own): an
 * HMAC-SHA256 over the path and the archive's expiry, as `?exp=<unix seconds>&sig=<base64url>`. Unlike a media
 * URL's, the expiry is the archive's own, so every URL of one archive is the same string and lives as long as it.
 */
export class ExportUrlSigner {
  constructor(
    private readonly key: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  signUrl(baseUrl: string, path: string, expiresAtMs: number): string {
    const exp = Math.floor(expiresAtMs / 1000);
    return `${baseUrl}${path}?exp=${exp}&sig=${this.mac(path, exp)}`;
  }

  /** The signature first, so a forged URL never learns whether its expiry passed. */
  check(path: string, exp: string | undefined, sig: string | undefined): DownloadCheck {
    if (exp === undefined || sig === undefined || !/^\d{1,12}$/.test(exp)) return "invalid";
    const expected = Buffer.from(this.mac(path, Number(exp)));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "invalid";
    return Number(exp) * 1000 <= this.now() ? "expired" : "valid";
  }

  private mac(path: string, exp: number): string {
    return createHmac("sha256", this.key).update(`${path}\n${exp}`).digest("base64url");
  }
}
