import {
  createDecipheriv,
  createECDH,
  createHmac,
  createPublicKey,
  randomBytes,
  verify,
  type ECDH,
} from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A browser's side of one subscription: its key pair and auth secret, as PushManager.subscribe makes them. */
export interface BrowserSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  ecdh: ECDH;
  authSecret: Buffer;
}

/** One push the service took: which subscription, the decrypted payload, and the VAPID claims it was signed with. */
export interface ReceivedPush {
  subscription: string;
  payload: unknown;
  vapid: { publicKey: string; aud: string; sub: string; exp: number };
  ttl: string | undefined;
}

/**
 * A push service (RFC 8030) on 127.0.0.1 for tests: each POST to `/push/<id>` must carry a VAPID authorization
 * (RFC 8292) whose ES256 signature verifies with the key it names and whose audience is this origin, and an
 * aes128gcm body (RFC 8188) that decrypts with the subscription's keys (RFC 8291); anything else is refused with
 * 400 or 401 and recorded as a problem. Each answer is 201, unless the test queued other statuses for that id.
 */
export class FakePushService {
  readonly received: ReceivedPush[] = [];
  readonly problems: string[] = [];
  private readonly browsers = new Map<string, BrowserSubscription>();
  private readonly statuses = new Map<string, number[]>();
  private server: Server | undefined;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.take(req).then(
        (status) => res.writeHead(status).end(),
        (err: unknown) => {
          this.problems.push(err instanceof Error ? err.message : String(err));
          res.writeHead(400).end();
        },
      );
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** A new browser subscription at this service. */
  subscribe(id: string): BrowserSubscription {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const authSecret = randomBytes(16);
    const browser = {
      endpoint: `${this.url}/push/${id}`,
      keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: authSecret.toString("base64url") },
      ecdh,
      authSecret,
    };
    this.browsers.set(id, browser);
    return browser;
  }

  /** The next answers for pushes to `id`, in order (201 once they run out). */
  answer(id: string, ...statuses: number[]): void {
    this.statuses.set(id, [...(this.statuses.get(id) ?? []), ...statuses]);
  }

  pushesTo(id: string): ReceivedPush[] {
    return this.received.filter((push) => push.subscription === id);
  }

  private async take(req: IncomingMessage): Promise<number> {
    const id = /^\/push\/([\w-]+)$/.exec(req.url ?? "")?.[1];
    const browser = id === undefined ? undefined : this.browsers.get(id);
    if (req.method !== "POST" || id === undefined || browser === undefined) return 404;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const queued = this.statuses.get(id)?.shift();
    if (queued !== undefined) return queued;
    const vapid = this.checkVapid(req.headers.authorization ?? "");
    if (req.headers["content-encoding"] !== "aes128gcm") throw new Error("not aes128gcm");
    const payload: unknown = JSON.parse(decrypt(Buffer.concat(chunks), browser).toString("utf8"));
    const ttl = req.headers.ttl;
    this.received.push({ subscription: id, payload, vapid, ttl: Array.isArray(ttl) ? ttl[0] : ttl });
    return 201;
  }

  private checkVapid(header: string): ReceivedPush["vapid"] {
    const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header);
    if (!match) throw new Error(`no VAPID authorization: ${header}`);
    const [token = "", publicKey = ""] = [match[1], match[2]];
    const [head = "", body = "", signature = ""] = token.split(".");
    const point = Buffer.from(publicKey, "base64url");
    const key = createPublicKey({
      key: {
        kty: "EC",
        crv: "P-256",
        x: point.subarray(1, 33).toString("base64url"),
        y: point.subarray(33, 65).toString("base64url"),
      },
      format: "jwk",
    });
    const signed = verify(
      "sha256",
      Buffer.from(`${head}.${body}`),
      { key, dsaEncoding: "ieee-p1363" },
      Buffer.from(signature, "base64url"),
    );
    if (!signed) throw new Error("the VAPID signature does not verify");
    const header64 = JSON.parse(Buffer.from(head, "base64url").toString("utf8")) as { alg?: string };
    if (header64.alg !== "ES256") throw new Error("VAPID is not ES256");
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as {
      aud: string;
      sub: string;
      exp: number;
    };
    if (claims.aud !== this.url) throw new Error(`VAPID audience ${claims.aud} is not ${this.url}`);
    const now = Date.now() / 1000;
    if (!(claims.exp > now && claims.exp <= now + 24 * 3600 + 60)) throw new Error("VAPID exp out of range");
    return { publicKey, ...claims };
  }
}

/** Undoes RFC 8291's encryption as a browser does, with its private key and auth secret. */
export function decrypt(body: Buffer, browser: Pick<BrowserSubscription, "ecdh" | "authSecret">): Buffer {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body.readUInt8(20);
  const senderKey = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  if (ciphertext.length > recordSize) throw new Error("more than one record");
  const { cek, nonce } = keysFor(browser, senderKey, salt);
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
    decipher.final(),
  ]);
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("no last-record delimiter");
  return padded.subarray(0, end);
}

/** RFC 8291 §3.4 and RFC 8188 §2.2: the content encryption key and nonce of a push. */
function keysFor(
  browser: Pick<BrowserSubscription, "ecdh" | "authSecret">,
  senderKey: Buffer,
  salt: Buffer,
): { cek: Buffer; nonce: Buffer } {
  const hmac = (key: Buffer, data: Buffer) => createHmac("sha256", key).update(data).digest();
  const shared = browser.ecdh.computeSecret(senderKey);
  const prkKey = hmac(browser.authSecret, shared);
  const keyInfo = Buffer.concat([
    Buffer.from("WebPush: info\0"),
    browser.ecdh.getPublicKey(),
    senderKey,
    Buffer.from([1]),
  ]);
  const ikm = hmac(prkKey, keyInfo);
  const prk = hmac(salt, ikm);
  return {
    cek: hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0\x01")).subarray(0, 16),
    nonce: hmac(prk, Buffer.from("Content-Encoding: nonce\0\x01")).subarray(0, 12),
  };
}
