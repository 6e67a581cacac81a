import { expect } from "chai";
import { api, signup, startTestNode, type ErrorBody, type TestNode } from "../support/test-node";

describe("the gateway's edge", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.stop();
  });

  it("answers 415 to a body that is not declared JSON", async () => {
    const res = await api<ErrorBody>(t.url, "POST", "/api/auth/login", {
      rawBody: "login=a&password=b",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).to.equal(415);
    expect(res.body.error.code).to.equal("UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers 400 to malformed JSON, a non-object body and invalid UTF-8", async () => {
    for (const rawBody of [
      '{"login": ',
      "[1,2]",
      '"text"',
      Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
    ]) {
      const res = await api<ErrorBody>(t.url, "POST", "/api/auth/login", {
        rawBody,
        headers: { "content-type": "application/json" },
      });
      expect(res.status, String(rawBody)).to.equal(400);
      expect(res.body.error.code).to.equal("INVALID_JSON");
    }
  });

  it("answers 413 to a JSON body over 1 MB", async () => {
    const res = await api<ErrorBody>(t.url, "POST", "/api/auth/signup", {
      rawBody: JSON.stringify({ username: "big", pad: "x".repeat(1024 * 1024) }),
      headers: { "content-type": "application/json" },
    });
    expect(res.status).to.equal(413);
    expect(res.body.error.code).to.equal("PAYLOAD_TOO_LARGE");
  });

  it("answers 404 with the envelope for unknown routes and methods", async () => {
    for (const [method, route] of [
      ["GET", "/api/nothing-here"],
      ["DELETE", "/api/me"],
      ["GET", "/elsewhere"],
    ] as const) {
      const res = await api<ErrorBody>(t.url, method, route);
      expect(res.status, `${method} ${route}`).to.equal(404);
      expect(res.body.error.code).to.equal("NOT_FOUND");
    }
  });

  it("puts an X-Request-Id on every answer, keeping a plain one the client sent", async () => {
    const ok = await api(t.url, "GET", "/health/live");
    const failed = await api(t.url, "GET", "/api/me");
    expect(ok.headers.get("x-request-id")).to.match(/^[A-Za-z0-9._:-]{8,}$/);
    expect(failed.headers.get("x-request-id")).to.match(/^[A-Za-z0-9._:-]{8,}$/);
    const kept = await api(t.url, "GET", "/api/me", { headers: { "x-request-id": "client-id-123" } });
    expect(kept.headers.get("x-request-id")).to.equal("client-id-123");
    const replaced = await api(t.url, "GET", "/api/me", {
      headers: { "x-request-id": "bad id with spaces" },
    });
    expect(replaced.headers.get("x-request-id")).to.not.equal("bad id with spaces");
  });

  it("never shows a stack trace", async () => {
    const res = await api(t.url, "POST", "/api/auth/login", {
      rawBody: "{",
      headers: { "content-type": "application/json" },
    });
    expect(res.text).to.not.match(/\bat .*\.(ts|js):\d+/);
    expect(Object.keys(res.body)).to.deep.equal(["error"]);
  });

  it("answers CORS preflights and marks answers for the allowed origin", async () => {
    const res = await fetch(`${t.url}/api/me`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "PATCH",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(res.status).to.be.oneOf([200, 204]);
    expect(res.headers.get("access-control-allow-origin")).to.equal("*");
    expect(res.headers.get("access-control-allow-methods")).to.contain("PATCH");
  });

  it("reports liveness, readiness and Prometheus metrics", async () => {
    expect((await api(t.url, "GET", "/health/live")).status).to.equal(200);
    const ready = await api<{ status: string; checks: Record<string, boolean> }>(
      t.url,
      "GET",
      "/health/ready",
    );
    expect(ready.status).to.equal(200);
    expect(ready.body.checks).to.deep.equal({
      broker: true,
      users: true,
      store: true,
      blobs: true,
    });
    await signup(t.url);
    const metrics = await fetch(`${t.url}/metrics`);
    expect(metrics.status).to.equal(200);
    expect(metrics.headers.get("content-type")).to.contain("text/plain");
    const text = await metrics.text();
    expect(text).to.match(/^# TYPE moleculer_request_total counter$/m);
    expect(text).to.match(/moleculer_request_total\{[^}]*action="users\.signup"[^}]*\} [1-9]/);
  });
});

describe("the gateway with the store down", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.stop();
  });

  it("answers 503 with the envelope, and readiness says 503", async () => {
    const a = await signup(t.url);
    await t.node.app.store!.close();
    const me = await api<ErrorBody>(t.url, "GET", "/api/me", { token: a.token });
    expect(me.status).to.equal(503);
    expect(me.body.error.code).to.equal("STORE_UNAVAILABLE");
    expect(me.headers.get("retry-after")).to.match(/^\d+$/);
    const ready = await api<{ checks: Record<string, boolean> }>(t.url, "GET", "/health/ready");
    expect(ready.status).to.equal(503);
    expect(ready.body.checks.store).to.equal(false);
  });
});

describe("rate limits", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode({
      RATE_LIMITS: "on",
      RATE_LIMIT_LOGIN_PER_MINUTE: "3",
      RATE_LIMIT_SIGNUP_PER_HOUR: "50",
      RATE_LIMIT_WRITES_PER_MINUTE: "2",
    });
  });
  after(async () => {
    await t.stop();
  });

  it("answers 429 with Retry-After past the login limit per IP", async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof api<ErrorBody>>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await api<ErrorBody>(t.url, "POST", "/api/auth/login", {
        body: { login: "nobody", password: "x" },
      });
      statuses.push(last.status);
    }
    expect(statuses).to.deep.equal([401, 401, 401, 429]);
    expect(last!.body.error.code).to.equal("RATE_LIMITED");
    expect(Number(last!.headers.get("retry-after"))).to.be.within(1, 60);
  });

  it("limits writes per user, not reads", async () => {
    const a = await signup(t.url);
    const patch = () => api(t.url, "PATCH", "/api/me", { token: a.token, body: { bio: "x" } });
    expect([(await patch()).status, (await patch()).status, (await patch()).status]).to.deep.equal([
      200, 200, 429,
    ]);
    expect((await api(t.url, "GET", "/api/me", { token: a.token })).status).to.equal(200);
    const b = await signup(t.url);
    expect((await api(t.url, "PATCH", "/api/me", { token: b.token, body: { bio: "y" } })).status).to.equal(
      200,
    );
  });
});
