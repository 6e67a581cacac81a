import { expect } from "chai";
import { eventually } from "../support/eventually";
import {
  api,
  signup,
  startTestNode,
  type Account,
  type ErrorBody,
  type TestNode,
} from "../support/test-node";

interface SessionBody {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string;
  address: string;
  current: boolean;
}

/** Issue #17: where one is signed in, signing sessions out, and changing the password. */
describe("sessions and password", function () {
  this.timeout(60_000);
  let t: TestNode;
  let offsetMs = 0;
  before(async () => {
    t = await startTestNode({}, { now: () => Date.now() + offsetMs });
  });
  after(() => t.stop());
  beforeEach(() => {
    offsetMs = 0;
  });

  const login = async (who: Account, userAgent: string, password = who.password) =>
    api<{ token: string } & ErrorBody>(t.url, "POST", "/api/auth/login", {
      body: { login: who.username, password },
      headers: { "user-agent": userAgent },
    });
  const sessionsOf = async (token: string) =>
    api<{ items: SessionBody[] }>(t.url, "GET", "/api/me/sessions", { token });
  const me = async (token: string) => (await api(t.url, "GET", "/api/me", { token })).status;

  it("lists each session with where it came from, this one marked, newest first", async () => {
    const ada = await signup(t.url);
    const phone = (await login(ada, "TestPhone/1.0")).body.token;
    const laptop = (await login(ada, "TestLaptop/2.0")).body.token;
    const listed = await sessionsOf(laptop);
    expect(listed.status, listed.text).to.equal(200);
    const [newest, middle] = listed.body.items;
    expect(listed.body.items).to.have.length(3); // sign-up, phone, laptop
    expect(newest).to.include({ userAgent: "TestLaptop/2.0", address: "127.0.0.1", current: true });
    expect(middle).to.include({ userAgent: "TestPhone/1.0", current: false });
    expect(listed.body.items.filter((s) => s.current)).to.have.length(1);
    expect((await sessionsOf(phone)).body.items.find((s) => s.current)?.userAgent).to.equal("TestPhone/1.0");
    // Nobody else's: another user sees only their own.
    const bob = await signup(t.url);
    expect((await sessionsOf(bob.token)).body.items).to.have.length(1);
  });

  it("signs one session out at once, or every one but this", async () => {
    const ada = await signup(t.url);
    const phone = (await login(ada, "TestPhone/1.0")).body.token;
    const laptop = (await login(ada, "TestLaptop/2.0")).body.token;
    expect(await me(phone)).to.equal(200);
    const phoneId = (await sessionsOf(phone)).body.items.find((s) => s.current)?.id ?? "";
    const ended = await api(t.url, "DELETE", `/api/me/sessions/${phoneId}`, { token: laptop });
    expect(ended.status, ended.text).to.equal(204);
    expect(await me(phone), "the phone signed out at once").to.equal(401);
    expect((await api(t.url, "DELETE", `/api/me/sessions/${phoneId}`, { token: laptop })).status).to.equal(
      404,
    );
    // Someone else's session is nobody's to this caller.
    const bob = await signup(t.url);
    const bobsId = (await sessionsOf(bob.token)).body.items[0]?.id ?? "";
    expect((await api(t.url, "DELETE", `/api/me/sessions/${bobsId}`, { token: laptop })).status).to.equal(
      404,
    );
    expect(await me(bob.token)).to.equal(200);
    expect((await api(t.url, "DELETE", "/api/me/sessions/abc", { token: laptop })).status).to.equal(400);

    const tablet = (await login(ada, "TestTablet/3.0")).body.token;
    const rest = await api(t.url, "DELETE", "/api/me/sessions", { token: laptop });
    expect(rest.status, rest.text).to.equal(204);
    expect([await me(ada.token), await me(tablet), await me(laptop)]).to.deep.equal([401, 401, 200]);
    expect((await sessionsOf(laptop)).body.items.map((s) => s.userAgent)).to.deep.equal(["TestLaptop/2.0"]);
  });

  it("changes the password given the current one, and signs every other session out", async () => {
    const ada = await signup(t.url);
    const other = (await login(ada, "TestPhone/1.0")).body.token;
    const change = (token: string, body: Record<string, unknown>) =>
      api<ErrorBody>(t.url, "POST", "/api/me/password", { token, body });
    const wrong = await change(ada.token, {
      currentPassword: "not it at all",
      newPassword: "a new long password",
    });
    expect([wrong.status, wrong.body.error.code]).to.deep.equal([400, "PASSWORD_WRONG"]);
    const weak = await change(ada.token, { currentPassword: ada.password, newPassword: "short" });
    expect([weak.status, weak.body.error.code]).to.deep.equal([400, "VALIDATION_FAILED"]);
    expect(await me(other), "nothing changed yet").to.equal(200);

    const done = await change(ada.token, {
      currentPassword: ada.password,
      newPassword: "a new long password",
    });
    expect(done.status, done.text).to.equal(204);
    expect(await me(other)).to.equal(401);
    expect(await me(ada.token), "this session stays").to.equal(200);
    expect((await login(ada, "x")).status).to.equal(401);
    expect((await login(ada, "x", "a new long password")).status).to.equal(200);
  });

  it("records when a session was last used, to within five minutes", async () => {
    const ada = await signup(t.url);
    const before = (await sessionsOf(ada.token)).body.items[0];
    offsetMs = 6 * 60_000; // past the users node's 30 s of trust and the five minutes between writes
    await eventually(async () => {
      const now = (await sessionsOf(ada.token)).body.items[0];
      return now !== undefined && Date.parse(now.lastUsedAt) > Date.parse(before?.lastUsedAt ?? "");
    }, "last used moved on");
  });
});
