import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/** The longest bucket an expiry is rounded up to; shorter lifetimes get a sixth of their length. */
const MAX_BUCKET_SECONDS = 600;
const LABEL = "mosaic media url v1";

/**
 * The key of media URL signatures, derived from the token key with a label of its own, so the token key never
 * signs anything but tokens and nothing new has to be configured or shared between nodes.
 */
export function deriveMediaUrlKey(tokenSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", tokenSecret, Buffer.alloc(0), LABEL, 32));
}

export type SignatureCheck = "valid" | "invalid" | "expired";

/**
 * Signs and checks the gateway's URLs of private media: an HMAC-SHA256 over the path and an expiry, sent as
 * `?exp=<unix seconds>&sig=<base64url>`. The expiry is rounded up to a bucket so that every URL minted within one
 * bucket is the same string and browsers and proxies can cache the file; a URL lives between `ttlSeconds` and
 * `ttlSeconds` plus one bucket.
 */
export class MediaUrlSigner {
  readonly bucketSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly key: Buffer,
    readonly ttlSeconds: number,
    now?: () => number,
  ) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError("ttlSeconds must be ≥ 1");
    this.bucketSeconds = Math.min(MAX_BUCKET_SECONDS, Math.ceil(ttlSeconds / 6));
    this.now = now ?? Date.now;
  }

  /** The expiry a URL minted now carries (unix seconds). */
  expiryNow(): number {
    const earliest = Math.ceil(this.now() / 1000) + this.ttlSeconds;
    return Math.ceil(earliest / this.bucketSeconds) * this.bucketSeconds;
  }

  /** `path` is what the gateway sees (`/media/…`), without a query. */
  sign(path: string): { exp: number; sig: string } {
    const exp = this.expiryNow();
    return { exp, sig: this.mac(path, exp) };
  }

  /** The URL with its signature, e.g. `https://host/media/1/2/thumb.jpg?exp=…&sig=…`. */
  signUrl(baseUrl: string, path: string): string {
    const { exp, sig } = this.sign(path);
    return `${baseUrl}${path}?exp=${exp}&sig=${sig}`;
  }

  /** Checks the query of a request for `path`; the signature first, so a forged URL never learns its expiry. */
  check(path: string, exp: string | undefined, sig: string | undefined): SignatureCheck {
    if (exp === undefined || sig === undefined || !/^\d{1,12}$/.test(exp)) return "invalid";
    const expected = Buffer.from(this.mac(path, Number(exp)));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "invalid";
    return Number(exp) * 1000 <= this.now() ? "expired" : "valid";
  }

  /** Seconds until `exp`: how long a cache may keep what a signed URL fetched. */
  secondsLeft(exp: number): number {
    return Math.max(0, Math.floor(exp - this.now() / 1000));
  }

  private mac(path: string, exp: number): string {
    return createHmac("sha256", this.key).update(`${path}\n${exp}`).digest("base64url");
  }
}
