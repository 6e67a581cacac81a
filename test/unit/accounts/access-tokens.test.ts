import { expect } from "chai";
import { decodeProtectedHeader } from "jose";
import { AccessTokens } from "../../../lib/accounts";
import { hashPassword, verifyPassword } from "../../../lib/accounts/passwords";
import { UnauthorizedError } from "../../../lib/errors";

describe("access tokens", () => {
  const secret = "s".repeat(48);
  let now = Date.UTC(2026, 0, 1);
  const tokens = new AccessTokens(secret, 60, () => now);

  it("round-trips the user and session and pins HS256", async () => {
    const { token, expiresAt } = await tokens.issue("123", "456");
    expect(decodeProtectedHeader(token)).to.deep.equal({ alg: "HS256", typ: "JWT" });
    const claims = await tokens.verify(token);
    expect(claims).to.deep.equal({ userId: "123", sessionId: "456", expiresAt });
  });

  it("expires after its lifetime", async () => {
    const { token } = await tokens.issue("123", "456");
    now += 59_000;
    await tokens.verify(token);
    now += 2_000;
    const err = await tokens.verify(token).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UnauthorizedError);
  });

  it("refuses a token of another key and garbage", async () => {
    const other = new AccessTokens("o".repeat(48), 60, () => now);
    const { token } = await other.issue("123", "456");
    for (const bad of [token, "", "a.b.c", "not a token"]) {
      expect(await tokens.verify(bad).catch((e: unknown) => e)).to.be.instanceOf(UnauthorizedError);
    }
  });

  it("refuses a token whose subject is not an id", async () => {
    const { token } = await tokens.issue("alice", "456");
    expect(await tokens.verify(token).catch((e: unknown) => e)).to.be.instanceOf(UnauthorizedError);
  });
});

describe("passwords", () => {
  it("hashes with argon2id and verifies only the right password", async () => {
    const hash = await hashPassword("correct horse");
    expect(hash).to.match(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, "correct horse")).to.equal(true);
    expect(await verifyPassword(hash, "correct horsE")).to.equal(false);
    expect(await verifyPassword("not a hash", "x")).to.equal(false);
  });
});
