import { expect } from "chai";
import { execFileSync } from "node:child_process";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { adminCommands } from "../../broker/admin-commands";
import { createPost } from "../support/media";
import { printed } from "../support/repl";
import { api, signup, startTestNode, type Account, type TestNode } from "../support/test-node";
import {
  DESKTOP,
  launchChromium,
  personIn,
  seriousViolations,
  signInWithToken,
  until,
} from "../support/browser";

const ROOT = path.resolve(__dirname, "../..");

/**
 * Issue #16 in a browser: a person reports a post through its dialog, a moderator removes it from the queue
 * screen, and the reporter reads the outcome in their notifications. A node in this process, so that the test can
 * grant the moderator role from the operator's console.
 */
describe("reporting and moderating in a browser", function () {
  this.timeout(240_000);
  let t: TestNode;
  let browser: Browser;
  let author: Account;
  let reporter: { account: Account; page: Page; errors: string[] };
  let moderator: { account: Account; page: Page; errors: string[] };
  let postId = "";

  const personAs = async (account: Account) => {
    const person = await personIn(browser, t.url, DESKTOP);
    await signInWithToken(person.context, account.token);
    return { account, page: person.page, errors: person.errors };
  };

  before(async () => {
    execFileSync(process.execPath, ["--import", "tsx", "scripts/build-web.ts", "--if-stale"], { cwd: ROOT });
    t = await startTestNode();
    browser = await launchChromium();
    author = await signup(t.url);
    const [reporterAccount, moderatorAccount] = await Promise.all([signup(t.url), signup(t.url)]);
    const grantRole = adminCommands(() => t.node.app.callerProofs).find((c) =>
      c.command.startsWith("grant-role"),
    );
    if (!grantRole) throw new Error("no grant-role command");
    await printed(grantRole, t.node.broker, { user: moderatorAccount.username, role: "moderator" });
    postId = (await createPost(t.url, author, "buy followers at my shop")).id;
    reporter = await personAs(reporterAccount);
    moderator = await personAs(moderatorAccount);
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("a person reports a post with a reason and a note, and is thanked", async () => {
    const { page } = reporter;
    await page.goto(`/p/${postId}`);
    await page.getByRole("button", { name: "Report" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Report post" });
    await dialog.getByRole("radio", { name: "It's spam" }).check();
    await dialog.getByLabel(/Anything else/).fill("a follower shop");
    expect(await seriousViolations(page)).to.deep.equal([]);
    await dialog.getByRole("button", { name: "Report" }).click();
    await dialog.getByText(/A moderator will look at it/).waitFor();
    await dialog.getByRole("button", { name: "Close" }).click();
    // Once is enough: a second report says so instead of queueing twice.
    await page.getByRole("button", { name: "Report" }).first().click();
    await page.getByRole("radio", { name: "Scam or fraud" }).check();
    await page.getByRole("dialog").getByRole("button", { name: "Report" }).click();
    await page.getByText("You reported this post already.", { exact: false }).waitFor();
  });

  it("a plain account has no moderation queue; a moderator's profile links to it and the case is there", async () => {
    await reporter.page.goto("/moderation");
    await reporter.page.getByText("Only moderators and admins see the moderation queue.").waitFor();
    const { page, account } = moderator;
    await page.goto(`/u/${account.username}`);
    await page.getByRole("link", { name: "Moderation" }).click();
    const item = page.getByRole("listitem", { name: /Report case/ });
    await item.getByText("buy followers at my shop").waitFor();
    expect(await item.getByText("It's spam (1)", { exact: false }).count()).to.equal(1);
    expect(await seriousViolations(page)).to.deep.equal([]);
  });

  it("the moderator removes it: the case leaves the queue and the post is gone", async () => {
    const { page } = moderator;
    const item = page.getByRole("listitem", { name: /Report case/ });
    await item.getByRole("radio", { name: "Remove the post" }).check();
    await item.getByLabel("Reason (kept with the decision)").fill("spam shop");
    await item.getByRole("button", { name: "Decide" }).click();
    await page.getByText("Nothing to review. The queue is empty.").waitFor();
    expect((await api(t.url, "GET", `/api/posts/${postId}`, { token: author.token })).status).to.equal(404);
  });

  it("the reporter reads the outcome in their notifications", async () => {
    const { page } = reporter;
    await page.goto("/notifications");
    await until(
      async () =>
        (await page
          .getByText(/Your report of a post was reviewed, and what you reported was removed/)
          .count()) > 0,
      "the outcome is shown",
    );
  });

  it("the push settings screen registers the service worker, and says so when notifications are blocked", async () => {
    const { page } = reporter;
    await page.goto("/settings/notifications");
    await page.getByRole("heading", { name: "Push notifications" }).waitFor();
    await page.getByRole("checkbox", { name: "Direct messages" }).waitFor();
    // A string, evaluated in the page: this project's types have no DOM.
    const scope = await page.evaluate<string>("navigator.serviceWorker.ready.then((r) => r.scope)");
    expect(new URL(scope).pathname).to.equal("/");
    expect(await seriousViolations(page)).to.deep.equal([]);
    // Headless Chromium denies the permission: the screen says what to do instead of failing.
    await page.getByRole("button", { name: "Turn on push notifications" }).click();
    await page.getByText("Notifications are blocked for this site.", { exact: false }).waitFor();
  });

  it("raised no error in any page", () => {
    expect([...reporter.errors, ...moderator.errors]).to.deep.equal([]);
  });
});
