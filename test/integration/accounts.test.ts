import { expect } from "chai";
import type { UserView } from "../../lib/accounts";
import { api, signup, startTestNode, uniqueName, type ErrorBody, type TestNode } from "../support/test-node";

type UserBody = UserView;

describe("accounts through the gateway", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.stop();
  });

  describe("signup", () => {
    it("creates the account and answers 201 with the user and a working token", async () => {
      const username = uniqueName("Alice");
      const res = await api<{ user: UserBody; token: string }>(t.url, "POST", "/api/auth/signup", {
        body: {
          username,
          email: ` ${username}@Example.COM `,
          password: "s3cret-pass",
          displayName: "Alice A.",
        },
      });
      expect(res.status).to.equal(201);
      const { user, token } = res.body;
      expect(user.username).to.equal(username.toLowerCase());
      expect(user.email).to.equal(`${username.toLowerCase()}@example.com`);
      expect(user.displayName).to.equal("Alice A.");
      expect(user.id).to.match(/^[1-9][0-9]{0,18}$/);
      expect(user).to.include({ bio: "", avatarUrl: null, isPrivate: false });
      expect(user.counts).to.deep.equal({ followers: 0, following: 0, posts: 0 });
      expect(Date.parse(user.createdAt)).to.be.closeTo(Date.now(), 60_000);
      expect(user.createdAt).to.match(/Z$/);
      expect(res.headers.get("location")).to.equal(`/api/users/${user.username}`);

      const me = await api<UserBody>(t.url, "GET", "/api/me", { token });
      expect(me.status).to.equal(200);
      expect(me.body.id).to.equal(user.id);
    });

    it("refuses a username a route takes (/api/users/suggested) with 400", async () => {
      const res = await api<ErrorBody>(t.url, "POST", "/api/auth/signup", {
        body: { username: "Suggested", email: `s${Date.now()}@example.com`, password: "password1" },
      });
      expect(res.status).to.equal(400);
      expect(res.body.error.details?.[0]?.field).to.equal("username");
    });

    it("refuses a taken username whatever its case, and a taken email, with 409", async () => {
      const first = await signup(t.url);
      const sameName = await api<ErrorBody>(t.url, "POST", "/api/auth/signup", {
        body: {
          username: first.username.toUpperCase(),
          email: `other${Date.now()}@example.com`,
          password: "password1",
        },
      });
      expect(sameName.status).to.equal(409);
      expect(sameName.body.error.code).to.equal("USERNAME_TAKEN");

      const freeName = uniqueName("free");
      const sameEmail = await api<ErrorBody>(t.url, "POST", "/api/auth/signup", {
        body: {
          username: freeName,
          email: `${first.username.toUpperCase()}@EXAMPLE.com`,
          password: "password1",
        },
      });
      expect(sameEmail.status).to.equal(409);
      expect(sameEmail.body.error.code).to.equal("EMAIL_TAKEN");

      // The failed sign-up must not keep the name it claimed before its email was refused.
      const again = await api(t.url, "POST", "/api/auth/signup", {
        body: { username: freeName, email: `${freeName}@example.com`, password: "password1" },
      });
      expect(again.status).to.equal(201);
    });

    it("lets exactly one of 20 concurrent sign-ups of one name win", async () => {
      const username = uniqueName("race");
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api<ErrorBody>(t.url, "POST", "/api/auth/signup", {
            body: { username, email: `race${i}-${username}@example.com`, password: "password1" },
          }),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).to.have.length(1);
      expect(statuses.filter((s) => s === 409)).to.have.length(19);
      for (const r of results.filter((r) => r.status === 409))
        expect(r.body.error.code).to.equal("USERNAME_TAKEN");
    });

    const invalid: [string, Record<string, unknown>, string][] = [
      ["a short username", { username: "ab" }, "username"],
      ["a long username", { username: "a".repeat(31) }, "username"],
      ["a username with a space", { username: "ab cd" }, "username"],
      ["a username with a dash", { username: "ab-cd" }, "username"],
      ["a username that is not a string", { username: 12345 }, "username"],
      ["an invalid email", { email: "not-an-email" }, "email"],
      ["a short password", { password: "1234567" }, "password"],
      ["a display name of 65 characters", { displayName: "x".repeat(65) }, "displayName"],
      ["a display name with a control character", { displayName: "bad\u0007name" }, "displayName"],
      ["an unknown field", { isAdmin: true }, "isAdmin"],
    ];
    for (const [what, patch, field] of invalid) {
      it(`answers 400 naming the field for ${what}`, async () => {
        const username = uniqueName("v");
        const res = await api<ErrorBody>(t.url, "POST", "/api/auth/signup", {
          body: { username, email: `${username}@example.com`, password: "password1", ...patch },
        });
        expect(res.status).to.equal(400);
        expect(res.body.error.code).to.equal("VALIDATION_FAILED");
        expect(res.body.error.details?.map((d) => d.field)).to.include(field);
      });
    }

    it("answers 400 when required fields are missing", async () => {
      const res = await api<ErrorBody>(t.url, "POST", "/api/auth/signup", { body: {} });
      expect(res.status).to.equal(400);
      expect(res.body.error.details?.map((d) => d.field)).to.include.members([
        "username",
        "email",
        "password",
      ]);
    });

    it("counts a display name's length in characters, not UTF-16 units", async () => {
      const username = uniqueName("emoji");
      const res = await api<{ user: UserBody }>(t.url, "POST", "/api/auth/signup", {
        body: {
          username,
          email: `${username}@example.com`,
          password: "password1",
          displayName: "📷".repeat(64),
        },
      });
      expect(res.status).to.equal(201);
      expect(res.body.user.displayName).to.equal("📷".repeat(64));
    });
  });

  describe("login and logout", () => {
    it("signs in by username or by email, in any case", async () => {
      const a = await signup(t.url);
      for (const login of [a.username, a.username.toUpperCase(), `${a.username}@EXAMPLE.com`]) {
        const res = await api<{ user: UserBody; token: string }>(t.url, "POST", "/api/auth/login", {
          body: { login, password: a.password },
        });
        expect(res.status, login).to.equal(200);
        expect(res.body.user.id).to.equal(a.user.id);
        expect(res.body.token).to.be.a("string").and.not.equal(a.token);
      }
    });

    it("answers 401 for a wrong password and for an unknown account alike", async () => {
      const a = await signup(t.url);
      const wrong = await api<ErrorBody>(t.url, "POST", "/api/auth/login", {
        body: { login: a.username, password: "wrong-password" },
      });
      const unknown = await api<ErrorBody>(t.url, "POST", "/api/auth/login", {
        body: { login: uniqueName("ghost"), password: "whatever1" },
      });
      expect(wrong.status).to.equal(401);
      expect(unknown.status).to.equal(401);
      expect(wrong.body.error.code).to.equal("UNAUTHORIZED");
      expect(unknown.body).to.deep.equal(wrong.body);
    });

    it("revokes the session's token at once on logout, and only that one", async () => {
      const a = await signup(t.url);
      const second = await api<{ token: string }>(t.url, "POST", "/api/auth/login", {
        body: { login: a.username, password: a.password },
      });
      const out = await api(t.url, "POST", "/api/auth/logout", { token: a.token });
      expect(out.status).to.equal(204);
      expect(out.text).to.equal("");

      const revoked = await api<ErrorBody>(t.url, "GET", "/api/me", { token: a.token });
      expect(revoked.status).to.equal(401);
      expect(revoked.body.error.code).to.equal("UNAUTHORIZED");
      expect((await api(t.url, "GET", "/api/me", { token: second.body.token })).status).to.equal(200);
    });

    it("answers 401 to logout without a token", async () => {
      expect((await api(t.url, "POST", "/api/auth/logout")).status).to.equal(401);
    });
  });

  describe("profiles", () => {
    it("updates display name, bio and privacy, and keeps what was not sent", async () => {
      const a = await signup(t.url);
      const res = await api<UserBody>(t.url, "PATCH", "/api/me", {
        token: a.token,
        body: { displayName: "  New Name ", bio: "line one\nline two", isPrivate: true },
      });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ displayName: "New Name", bio: "line one\nline two", isPrivate: true });
      expect(res.body.email).to.equal(`${a.username}@example.com`);

      const partial = await api<UserBody>(t.url, "PATCH", "/api/me", { token: a.token, body: { bio: "" } });
      expect(partial.body).to.include({ displayName: "New Name", bio: "", isPrivate: true });
    });

    it("refuses a bio over 150 characters, a wrong type, an unknown field and a foreign avatar", async () => {
      const a = await signup(t.url);
      const cases: [Record<string, unknown>, number, string][] = [
        [{ bio: "b".repeat(151) }, 400, "VALIDATION_FAILED"],
        [{ isPrivate: "yes" }, 400, "VALIDATION_FAILED"],
        [{ email: "x@example.com" }, 400, "VALIDATION_FAILED"],
        [{ avatarMediaId: "not-an-id" }, 400, "VALIDATION_FAILED"],
        [{ avatarMediaId: "123456789" }, 400, "MEDIA_NOT_FOUND"],
      ];
      for (const [body, status, code] of cases) {
        const res = await api<ErrorBody>(t.url, "PATCH", "/api/me", { token: a.token, body });
        expect(res.status, JSON.stringify(body)).to.equal(status);
        expect(res.body.error.code, JSON.stringify(body)).to.equal(code);
      }
      const me = await api<UserBody>(t.url, "GET", "/api/me", { token: a.token });
      expect(me.body.bio).to.equal("");
    });

    it("shows another user without their email and with the relationship", async () => {
      const a = await signup(t.url);
      const b = await signup(t.url);
      const res = await api<UserBody>(t.url, "GET", `/api/users/${b.username.toUpperCase()}`, {
        token: a.token,
      });
      expect(res.status).to.equal(200);
      expect(res.body.id).to.equal(b.user.id);
      expect(res.body).to.not.have.property("email");
      expect(res.body.relationship).to.deep.equal({
        following: false,
        followedBy: false,
        requested: false,
        blocking: false,
      });
      const self = await api<UserBody>(t.url, "GET", `/api/users/${a.username}`, { token: a.token });
      expect(self.body).to.not.have.property("relationship");
      expect(self.body).to.not.have.property("email");
    });

    it("answers 404 for an unknown user, 400 for an impossible name and 401 without a token", async () => {
      const a = await signup(t.url);
      const missing = await api<ErrorBody>(t.url, "GET", `/api/users/${uniqueName("nobody")}`, {
        token: a.token,
      });
      expect(missing.status).to.equal(404);
      expect(missing.body.error.code).to.equal("USER_NOT_FOUND");
      expect((await api(t.url, "GET", "/api/users/a-b", { token: a.token })).status).to.equal(400);
      expect((await api(t.url, "GET", `/api/users/${a.username}`)).status).to.equal(401);
    });
  });
});
