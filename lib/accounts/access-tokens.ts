import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { UnauthorizedError } from "../errors";
import { isId } from "../ids";
import { LruMap } from "../concurrency/lru-map";

const ISSUER = "mosaic";
const AUDIENCE = "mosaic-api";
/** Pinned: a token naming any other algorithm, `none` included, is refused before its signature is read. */
const ALGORITHM = "HS256";

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  expiresAt: Date;
}

/**
 * Verified tokens, remembered so that a client's next request skips the signature check (WebCrypto HMAC through
 * jose costs ~0.3 ms, more than the rest of a `GET /api/me`). Only the signature's verdict is remembered: expiry
 * is checked on every use, and revocation is the session row the caller reads each time.
 */
const VERIFIED_CACHE_SIZE = 10_000;

export class AccessTokens {
  private readonly key: Uint8Array;
  private readonly verified = new LruMap<string, AccessTokenClaims>(VERIFIED_CACHE_SIZE);

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  get lifetimeSeconds(): number {
    return this.ttlSeconds;
  }

  async issue(userId: string, sessionId: string): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(this.now() / 1000);
    const expiresAt = new Date((issuedAt + this.ttlSeconds) * 1000);
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(this.key);
    return { token, expiresAt };
  }

  /** Checks signature, algorithm, issuer, audience and expiry; the caller still checks revocation. */
  async verify(token: string): Promise<AccessTokenClaims> {
    const known = this.verified.get(token);
    if (known !== undefined) {
      if (known.expiresAt.getTime() > this.now()) return known;
      this.verified.delete(token);
      throw new UnauthorizedError();
    }
    const claims = await this.verifySignature(token);
    this.verified.set(token, claims);
    return claims;
  }

  private async verifySignature(token: string): Promise<AccessTokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(this.now()),
        requiredClaims: ["sub", "sid", "exp"],
      });
      const { sub, sid, exp } = payload;
      if (!isId(sub) || !isId(sid) || typeof exp !== "number") throw new UnauthorizedError();
      return { userId: sub, sessionId: sid, expiresAt: new Date(exp * 1000) };
    } catch (err: unknown) {
      if (err instanceof UnauthorizedError || err instanceof joseErrors.JOSEError)
        throw new UnauthorizedError();
      throw err;
    }
  }
}
