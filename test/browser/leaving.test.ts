import { expect } from "chai";
import { execFileSync } from "node:child_process";
import path from "node:path";
import type { Browser } from "playwright-core";
import { call } from "../../broker/calls";
import { createPost } from "../support/media";
import { api, signup, startTestNode, type Account, type TestNode } from "../support/test-node";
import { DESKTOP, launchChromium, personIn, seriousViolations, signInWithToken } from "../support/browser";

const ROOT = path.resolve(__dirname, "../..");
const DAY_MS = 24 * 3600_000;

/**
 * Issue #17 in a browser: a person downloads their data from the security screen, then deletes their account;
 * once it is erased, the person they wrote to still reads those messages, from a deleted account. A node in this
 * process, so that the test can move its clock past the grace period.
 */
describe("taking one's data and leaving, in a browser", function () {
  this.timeout(240_000);
  let t: TestNode;
  let browser: Browser;
  let offsetMs = 0;
  let ada: Account;
  let bob: Account;

  before(async () => {
    execFileSync(process.execPath, ["--import", "tsx", "scripts/build-web.ts", "--if-stale"], { cwd: ROOT });
    t = await startTestNode({}, { now: () => Date.now() + offsetMs });
    browser = await launchChromium();
    [ada, bob] = await Promise.all([signup(t.url), signup(t.url)]);
    await createPost(t.url, ada, "a picture to take along");
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("asks for an archive on the security screen, sees it being made, and downloads a zip", async () => {
    const { page, context, errors } = await personIn(browser, t.url, DESKTOP);
    await signInWithToken(context, ada.token);
    await page.goto("/settings/security");
    const section = page.locator(".card", { has: page.getByRole("heading", { name: "Download your data" }) });
    await section.getByRole("button", { name: "Request an archive" }).click();
    const link = section.getByRole("link", { name: /Download your archive/ });
    await link.waitFor({ timeout: 60_000 });
    expect(await seriousViolations(page)).to.deep.equal([]);
    const href = await link.getAttribute("href");
    expect(href).to.be.a("string");
    // What the browser would download: a zip, from a link that needs no token.
    const res = await fetch(new URL(href ?? "", t.url));
    expect(res.status).to.equal(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 4).toString("hex")).to.equal("504b0304");
    await section.getByRole("button", { name: "Make a new archive" }).waitFor();
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("deletes the account; once erased, its messages read as from a deleted account", async () => {
    const opened = await api<{ id: string }>(t.url, "POST", "/api/conversations", {
      token: ada.token,
      body: { usernames: [bob.username] },
    });
    expect(opened.status, opened.text).to.equal(201);
    const sent = await api(t.url, "POST", `/api/conversations/${opened.body.id}/messages`, {
      token: ada.token,
      body: { text: "goodbye, bob" },
    });
    expect(sent.status, sent.text).to.equal(201);

    const leaving = await personIn(browser, t.url, DESKTOP);
    await signInWithToken(leaving.context, ada.token);
    await leaving.page.goto("/settings/security");
    const form = leaving.page.locator("form", {
      has: leaving.page.getByRole("heading", { name: "Delete account" }),
    });
    await form.getByLabel("Password").fill(ada.password);
    leaving.page.once("dialog", (dialog) => void dialog.accept());
    await form.getByRole("button", { name: "Delete my account" }).click();
    await leaving.page.getByText(/Your account is deleted/).waitFor();
    expect(leaving.errors).to.deep.equal([]);
    await leaving.context.close();

    offsetMs = 31 * DAY_MS;
    expect((await call(t.node.broker, "users.eraseDue", {})).erased).to.equal(1);

    const again = await api<{ token: string }>(t.url, "POST", "/api/auth/login", {
      body: { login: bob.username, password: bob.password },
    });
    const reader = await personIn(browser, t.url, DESKTOP);
    await signInWithToken(reader.context, again.body.token);
    await reader.page.goto(`/messages/${opened.body.id}`);
    await reader.page.getByText("goodbye, bob").waitFor();
    await reader.page.getByText("Deleted account").first().waitFor();
    expect(await seriousViolations(reader.page)).to.deep.equal([]);
    expect(reader.errors).to.deep.equal([]);
    await reader.context.close();
  });
});
