import { expect } from "chai";
import { SignJWT, decodeJwt } from "jose";
import { api, ManualClock, signup, startTestNode, type TestNode } from "../support/test-node";

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("access tokens", () => {
  const clock = new ManualClock();
  let t: TestNode;
  before(async () => {
    t = await startTestNode({ ACCESS_TOKEN_TTL_SECONDS: "3600" }, { now: clock.now });
  });
  after(async () => {
    await t.stop();
  });

  async function expect401(token: string, why: string): Promise<void> {
    const res = await api<{ error: { code: string } }>(t.url, "GET", "/api/me", { token });
    expect(res.status, why).to.equal(401);
    expect(res.body.error.code, why).to.equal("UNAUTHORIZED");
  }

  it("accepts its own token", async () => {
    const a = await signup(t.url);
    expect((await api(t.url, "GET", "/api/me", { token: a.token })).status).to.equal(200);
  });

  it("refuses `alg: none`", async () => {
    const a = await signup(t.url);
    const [, payload] = a.token.split(".");
    await expect401(`${b64({ alg: "none", typ: "JWT" })}.${payload}.`, "alg none");
  });

  it("refuses a token signed with another key, or with another algorithm", async () => {
    const a = await signup(t.url);
    const claims = decodeJwt(a.token);
    const forge = (alg: string, key: string) =>
      new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).sign(new TextEncoder().encode(key));
    await expect401(await forge("HS256", "x".repeat(48)), "wrong key");
    await expect401(await forge("HS512", "y".repeat(64)), "HS512");
  });

  it("refuses a token whose payload was changed", async () => {
    const a = await signup(t.url);
    const b = await signup(t.url);
    const [header, payload, signature] = a.token.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>;
    await expect401(`${header}.${b64({ ...claims, sub: b.user.id })}.${signature}`, "tampered sub");
  });

  it("refuses a malformed header or token", async () => {
    for (const authorization of [
      "Bearer",
      "Bearer ",
      "Basic abc",
      "bearer x.y.z",
      "Bearer a.b.c",
      "Bearer " + "a".repeat(5000),
    ]) {
      const res = await api<{ error: { code: string } }>(t.url, "GET", "/api/me", {
        headers: { authorization },
      });
      expect(res.status, authorization.slice(0, 20)).to.equal(401);
      expect(res.body.error.code).to.equal("UNAUTHORIZED");
    }
  });

  it("refuses an expired token", async () => {
    const a = await signup(t.url);
    clock.advance(3599_000);
    expect((await api(t.url, "GET", "/api/me", { token: a.token })).status).to.equal(200);
    clock.advance(2_000);
    await expect401(a.token, "expired");
  });
});
