import { expect } from "chai";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { eventually } from "../support/eventually";
import { TestSmtpServer, tokenIn } from "../support/smtp";
import { api, signup, startTestNode, uniqueName, type TestNode } from "../support/test-node";

interface ErrorBody {
  error?: { code: string };
}

/** Issue #17: account mail through a real SMTP server in this process, and the embedded outbox. */
describe("password reset and email verification", function () {
  this.timeout(120_000);
  const smtp = new TestSmtpServer();
  before(() => smtp.start());
  after(() => smtp.stop());

  const login = (url: string, login: string, password: string) =>
    api<{ token?: string } & ErrorBody>(url, "POST", "/api/auth/login", { body: { login, password } });

  describe("a password reset, mailed over SMTP", () => {
    let t: TestNode;
    let offsetMs = 0;
    before(async () => {
      t = await startTestNode(
        { SMTP_URL: smtp.url, EMAIL_VERIFICATION: "off", MAIL_FROM: "Mosaic <hello@example.com>" },
        { now: () => Date.now() + offsetMs },
      );
    });
    after(() => t.stop());

    const requestReset = (email: string) =>
      api(t.url, "POST", "/api/auth/password-reset", { body: { email } });
    const confirm = (token: string, password: string) =>
      api<ErrorBody>(t.url, "POST", "/api/auth/password-reset/confirm", { body: { token, password } });

    it("mails a link that sets a new password once and signs every device out; says nothing of unknown addresses", async () => {
      const ada = await signup(t.url);
      const email = `${ada.username}@example.com`;
      const other = await login(t.url, ada.username, ada.password);
      expect(other.status).to.equal(200);

      const nobody = `${uniqueName("nobody")}@example.com`;
      const unknown = await requestReset(nobody);
      expect(unknown.status).to.equal(202);
      const known = await requestReset(email.toUpperCase());
      expect(known.status, known.text).to.equal(202);
      // The same answer, byte for byte, whether the address has an account or not.
      expect(known.text).to.equal(unknown.text);
      await eventually(() => Promise.resolve(smtp.to(email).length === 1), "the reset mail arrives");
      const [mail] = smtp.to(email);
      expect(mail?.subject).to.equal("Reset your Mosaic password");
      expect(mail?.from).to.equal("Mosaic <hello@example.com>");
      expect(mail?.text).to.include(`${t.url}/reset-password?token=`);
      expect(smtp.to(nobody)).to.deep.equal([]);

      const token = tokenIn(mail, "/reset-password");
      const done = await confirm(token, "a brand new passphrase");
      expect(done.status, done.text).to.equal(204);
      for (const signedIn of [ada.token, other.body.token ?? ""]) {
        expect((await api(t.url, "GET", "/api/me", { token: signedIn })).status).to.equal(401);
      }
      expect((await login(t.url, ada.username, ada.password)).status).to.equal(401);
      const fresh = await login(t.url, ada.username, "a brand new passphrase");
      expect(fresh.status).to.equal(200);
      // Following the link proved the address.
      const me = await api<{ emailVerified?: boolean }>(t.url, "GET", "/api/me", {
        token: fresh.body.token ?? "",
      });
      expect(me.body.emailVerified).to.equal(true);

      const again = await confirm(token, "yet another passphrase");
      expect([again.status, again.body.error?.code]).to.deep.equal([400, "INVALID_TOKEN"]);
      for (const body of [
        { token: "x", password: "long enough pass" },
        { token },
        { token, password: "short" },
      ]) {
        const bad = await api<ErrorBody>(t.url, "POST", "/api/auth/password-reset/confirm", { body });
        expect([bad.status, bad.body.error?.code], JSON.stringify(body)).to.deep.equal([
          400,
          "VALIDATION_FAILED",
        ]);
      }
    });

    it("refuses a link after an hour, and mails one address at most three times an hour", async () => {
      const bob = await signup(t.url);
      const email = `${bob.username}@example.com`;
      expect((await requestReset(email)).status).to.equal(202);
      await eventually(() => Promise.resolve(smtp.to(email).length === 1), "the first mail arrives");
      const token = tokenIn(smtp.to(email)[0], "/reset-password");
      offsetMs = 61 * 60_000;
      const late = await confirm(token, "too late for this one");
      expect([late.status, late.body.error?.code]).to.deep.equal([400, "INVALID_TOKEN"]);
      expect((await login(t.url, bob.username, bob.password)).status).to.equal(200);

      // A new hour: three more mails, then none, though every answer is the same 202.
      for (let i = 0; i < 4; i++) expect((await requestReset(email)).status).to.equal(202);
      await eventually(() => Promise.resolve(smtp.to(email).length === 4), "three more mails arrive");
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.to(email)).to.have.length(4);
      offsetMs = 0;
    });
  });

  describe("EMAIL_VERIFICATION=required", () => {
    let t: TestNode;
    before(async () => {
      t = await startTestNode({ SMTP_URL: smtp.url, EMAIL_VERIFICATION: "required" });
    });
    after(() => t.stop());

    it("opens no session at sign-up, refuses sign-in until the mailed link is followed, then signs in", async () => {
      const username = uniqueName();
      const email = `${username}@example.com`;
      const password = "correct horse battery";
      const made = await api<{ token?: string; user: { id: string }; emailVerification?: string }>(
        t.url,
        "POST",
        "/api/auth/signup",
        { body: { username, email, password } },
      );
      expect(made.status, made.text).to.equal(201);
      expect(made.body.emailVerification).to.equal("required");
      expect(made.body).to.not.have.property("token");
      const refused = await login(t.url, username, password);
      expect([refused.status, refused.body.error?.code]).to.deep.equal([403, "EMAIL_NOT_VERIFIED"]);
      // A wrong password learns nothing of it.
      expect((await login(t.url, username, "not the password")).status).to.equal(401);

      await eventually(() => Promise.resolve(smtp.to(email).length === 1), "the verification mail arrives");
      expect(smtp.to(email)[0]?.subject).to.equal("Confirm your email address for Mosaic");
      // Asked again: a second link, and either works once.
      expect((await api(t.url, "POST", "/api/auth/email/verification", { body: { email } })).status).to.equal(
        202,
      );
      await eventually(() => Promise.resolve(smtp.to(email).length === 2), "a second link arrives");
      const token = tokenIn(smtp.to(email)[1], "/verify-email");
      expect((await api(t.url, "POST", "/api/auth/email/verify", { body: { token } })).status).to.equal(204);
      const reused = await api<ErrorBody>(t.url, "POST", "/api/auth/email/verify", { body: { token } });
      expect([reused.status, reused.body.error?.code]).to.deep.equal([400, "INVALID_TOKEN"]);

      const signedIn = await login(t.url, username, password);
      expect(signedIn.status, JSON.stringify(signedIn.body)).to.equal(200);
      const me = await api<{ emailVerified?: boolean }>(t.url, "GET", "/api/me", {
        token: signedIn.body.token ?? "",
      });
      expect(me.body.emailVerified).to.equal(true);
      // Verified: asking again mails nothing.
      expect((await api(t.url, "POST", "/api/auth/email/verification", { body: { email } })).status).to.equal(
        202,
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.to(email)).to.have.length(2);
    });
  });

  describe("the embedded outbox (no SMTP_URL)", () => {
    let t: TestNode;
    before(async () => {
      t = await startTestNode({ EMAIL_VERIFICATION: "optional" });
    });
    after(() => t.stop());

    it("writes each mail as an .eml file under DATA_DIR/outbox, whose link verifies the address", async () => {
      const ada = await signup(t.url);
      const outbox = path.join(t.dataDir, "outbox");
      let text = "";
      await eventually(async () => {
        const files = await readdir(outbox).catch(() => [] as string[]);
        for (const file of files.filter((f) => f.endsWith(".eml"))) {
          const content = await readFile(path.join(outbox, file), "utf8");
          if (content.includes(`${ada.username}@example.com`)) text = content;
        }
        return text !== "";
      }, "the mail is in the outbox");
      expect(text).to.match(/^Subject: Confirm your email address for Mosaic$/m);
      // Optional: the account works meanwhile, not yet verified.
      const before = await api<{ emailVerified?: boolean }>(t.url, "GET", "/api/me", { token: ada.token });
      expect(before.body.emailVerified).to.equal(false);
      const unfolded = text.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
      const token = /verify-email\?token=([A-Za-z0-9_-]{43})/.exec(unfolded)?.[1] ?? "";
      expect((await api(t.url, "POST", "/api/auth/email/verify", { body: { token } })).status).to.equal(204);
      const after = await api<{ emailVerified?: boolean }>(t.url, "GET", "/api/me", { token: ada.token });
      expect(after.body.emailVerified).to.equal(true);
    });
  });
});
