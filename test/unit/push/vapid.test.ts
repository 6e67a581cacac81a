import { expect } from "chai";
import { createECDH, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { vapidKeysFrom } from "../../../lib/push/vapid";

describe("VAPID keys", () => {
  const secret = "x".repeat(48);

  it("derives the same valid P-256 pair from the same token key on every node, another from another", () => {
    const a = vapidKeysFrom(undefined, secret);
    expect(vapidKeysFrom(undefined, secret)).to.deep.equal(a);
    expect(vapidKeysFrom(undefined, "y".repeat(48)).publicKey).to.not.equal(a.publicKey);
    const point = Buffer.from(a.publicKey, "base64url");
    expect(point).to.have.length(65);
    expect(point[0]).to.equal(4);
    // The halves belong together: a signature made with one verifies with the other.
    const d = Buffer.from(a.privateKey, "base64url");
    const jwk = {
      kty: "EC",
      crv: "P-256",
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33).toString("base64url"),
    };
    const privateKey = createPrivateKey({ key: { ...jwk, d: d.toString("base64url") }, format: "jwk" });
    const signature = sign("sha256", Buffer.from("claims"), privateKey);
    expect(
      verify("sha256", Buffer.from("claims"), createPublicKey({ key: jwk, format: "jwk" }), signature),
    ).to.equal(true);
  });

  it("takes a configured pair as it is", () => {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const configured = {
      publicKey: ecdh.getPublicKey().toString("base64url"),
      privateKey: ecdh.getPrivateKey().toString("base64url"),
    };
    expect(vapidKeysFrom(configured, secret)).to.deep.equal(configured);
  });
});
