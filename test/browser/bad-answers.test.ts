import { expect } from "chai";
import path from "node:path";
import type { Browser } from "playwright-core";
import { signup, type Account } from "../support/test-node";
import {
  DESKTOP,
  launchChromium,
  personIn,
  signInWithToken,
  startMosaic,
  until,
  type RunningMosaic,
} from "../support/browser";

const PHOTO = path.resolve(__dirname, "../fixtures/image.png");

/**
 * What the page does when the API answers badly: it says what went wrong (the API's message), never goes blank,
 * sends a person whose session ended back to sign-in, says when to retry after a 429, and carries an upload over
 * a dropped connection.
 */
describe("the web client facing bad answers", function () {
  this.timeout(180_000);
  let mosaic: RunningMosaic;
  let browser: Browser;
  let ada: Account;

  before(async () => {
    mosaic = await startMosaic();
    browser = await launchChromium();
    ada = await signup(mosaic.url);
  });
  after(async () => {
    await browser?.close();
    await mosaic?.stop();
  });

  async function signedIn() {
    const person = await personIn(browser, mosaic.url, DESKTOP);
    await signInWithToken(person.context, ada.token);
    return person;
  }

  it("shows the API's message when the feed fails, and loads it on Try again", async () => {
    const { page, context } = await signedIn();
    let failing = true;
    await page.route("**/api/feed**", (route) =>
      failing
        ? route.fulfill({
            status: 503,
            contentType: "application/json",
            body: JSON.stringify({
              error: { code: "STORE_UNAVAILABLE", message: "the store is unavailable; try again shortly" },
            }),
          })
        : route.continue(),
    );
    await page.goto("/");
    await page
      .getByRole("alert")
      .filter({ hasText: "the store is unavailable; try again shortly" })
      .waitFor();
    failing = false;
    await page.getByRole("button", { name: "Try again" }).first().click();
    await until(
      async () => (await page.getByRole("alert").count()) === 0,
      "the error leaves once the feed loads",
    );
    expect((await page.locator("main").innerText()).trim()).to.not.equal("");
    await context.close();
  });

  it("sends a request refused as OVERLOADED again after Retry-After, and shows the refusal only if it lasts", async () => {
    const overloaded = {
      status: 503,
      headers: { "Retry-After": "1" },
      contentType: "application/json",
      body: JSON.stringify({
        error: { code: "OVERLOADED", message: "the server is busy: try again in a moment" },
      }),
    };
    const { page, context } = await signedIn();
    let refusals = 1;
    let sent = 0;
    await page.route("**/api/feed**", (route) => {
      sent++;
      return refusals-- > 0 ? route.fulfill(overloaded) : route.continue();
    });
    await page.goto("/");
    await until(() => Promise.resolve(sent >= 2), "the feed asked for again after its refusal");
    await page.waitForLoadState("networkidle");
    expect(await page.getByRole("alert").count(), "no error shown for a refusal that passed").to.equal(0);
    expect((await page.locator("main").innerText()).trim()).to.not.equal("");

    refusals = Number.POSITIVE_INFINITY;
    sent = 0;
    await page.reload();
    await page.getByRole("alert").filter({ hasText: "the server is busy" }).waitFor();
    expect(sent, "sent three times in all, then shown").to.equal(3);
    await context.close();
  });

  it("says when to retry after a 429", async () => {
    const { page, context } = await signedIn();
    await page.route("**/api/users/*", (route) =>
      route.fulfill({
        status: 429,
        headers: { "Retry-After": "7" },
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "RATE_LIMITED", message: "too many requests" } }),
      }),
    );
    await page.goto(`/u/${ada.username}`);
    await page.getByRole("alert").filter({ hasText: "try again in 7 seconds" }).waitFor();
    await context.close();
  });

  it("answers a non-JSON failure (a proxy's HTML 502) with a message, not a blank page", async () => {
    const { page, context } = await signedIn();
    await page.route("**/api/notifications?**", (route) =>
      route.fulfill({ status: 502, contentType: "text/html", body: "<html><body>Bad Gateway</body></html>" }),
    );
    await page.goto("/notifications");
    await page.getByRole("alert").filter({ hasText: "502" }).waitFor();
    await context.close();
  });

  it("goes back to sign-in, saying why, when the session ends", async () => {
    const gone = await signup(mosaic.url);
    const person = await personIn(browser, mosaic.url, DESKTOP);
    await signInWithToken(person.context, gone.token);
    await person.page.goto("/");
    await person.page.getByRole("link", { name: "Home", exact: true }).waitFor();
    // Signed out elsewhere: the token is revoked on the server.
    await fetch(`${mosaic.url}/api/auth/logout`, {
      method: "POST",
      headers: { authorization: `Bearer ${gone.token}` },
    });
    // The next call the page makes gets a 401: a click, or one of its own refreshes if that comes first.
    await person.page
      .getByRole("link", { name: "Explore" })
      .click({ timeout: 2_000 })
      .catch(() => undefined);
    await person.page.getByRole("button", { name: "Sign in" }).waitFor();
    await person.page.getByText("Your session has ended").waitFor();
    expect(new URL(person.page.url()).pathname).to.equal("/signin");
    await person.context.close();
  });

  it("finishes an upload whose connection dropped mid-way, sending again only what was lost", async () => {
    const { page, context } = await signedIn();
    let parts = 0;
    let dropped = false;
    await page.route("**/api/uploads/*/parts/*", async (route) => {
      parts++;
      if (!dropped) {
        dropped = true;
        await route.abort("connectionreset");
      } else await route.continue();
    });
    await page.goto("/new");
    await page.getByLabel("Photos or videos").setInputFiles(PHOTO);
    await page.getByLabel("Caption").fill("Carried over a dropped connection");
    const share = page.getByRole("button", { name: "Share" });
    await until(() => share.isEnabled(), "the upload finished after the drop", 60_000);
    expect(dropped).to.equal(true);
    expect(parts).to.equal(2); // the one part, dropped once and sent again
    await share.click();
    await page.waitForURL(/\/p\/\d+$/);
    await page.getByText("Carried over a dropped connection").waitFor();
    await context.close();
  });
});
