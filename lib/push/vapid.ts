import { createECDH, hkdfSync } from "node:crypto";

/** A VAPID key pair (RFC 8292), both halves in base64url as web-push and browsers take them. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** The order of the P-256 group: a private key is a number from 1 to N - 1. */
const P256_N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

/**
 * The VAPID keys: the configured pair, or one derived from the token key. Every node of a cluster shares the
 * token key, so every node signs pushes with the same key without another secret to hand around; an operator
 * who may rotate the token key sets VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY instead, since browsers' subscriptions
 * are bound to the public key.
 */
export function vapidKeysFrom(configured: VapidKeys | undefined, tokenSecret: string): VapidKeys {
  if (configured !== undefined) return configured;
  for (let round = 0; ; round++) {
    const bytes = Buffer.from(hkdfSync("sha256", tokenSecret, "mosaic-vapid", `p256-${round}`, 32));
    const scalar = BigInt(`0x${bytes.toString("hex")}`);
    // Almost always in range on the first round (the odds against are about 2^-32).
    if (scalar === 0n || scalar >= P256_N) continue;
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(bytes);
    return { publicKey: ecdh.getPublicKey().toString("base64url"), privateKey: bytes.toString("base64url") };
  }
}
