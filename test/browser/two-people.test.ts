import { expect } from "chai";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import {
  DESKTOP,
  launchChromium,
  PHONE,
  personIn,
  startMosaic,
  until,
  type RunningMosaic,
} from "../support/browser";

const FIXTURES = path.resolve(__dirname, "../fixtures");
const PHOTOS = [path.join(FIXTURES, "image.png"), path.join(FIXTURES, "photo-gps.jpg")];

/**
 * Issue #13's two-person scenario, in real Chromium against `npm start`: everything through the pages, as
 * people use them. Each step checks what the page shows.
 */
describe("two people use Mosaic in a browser", function () {
  this.timeout(240_000);
  let mosaic: RunningMosaic;
  let browser: Browser;
  let ada: { page: Page; errors: string[] };
  let bob: { page: Page; errors: string[] };
  let carol: { page: Page; errors: string[] };
  const suffix = Math.random().toString(36).slice(2, 7);
  const names = { ada: `ada_${suffix}`, bob: `bob_${suffix}`, carol: `carol_${suffix}` };
  let postPath = "";

  before(async () => {
    mosaic = await startMosaic();
    browser = await launchChromium();
    ada = await personIn(browser, mosaic.url, DESKTOP);
    bob = await personIn(browser, mosaic.url, DESKTOP);
    // One of them on a phone: the same steps must work at 375 px.
    carol = await personIn(browser, mosaic.url, PHONE);
  });
  after(async () => {
    await browser?.close();
    await mosaic?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(mosaic.log().slice(-4000));
  });

  const badge = (page: Page) =>
    page
      .getByRole("link", { name: /^Notifications/ })
      .locator(".badge")
      .getAttribute("aria-label");

  async function signUp(page: Page, username: string): Promise<void> {
    await page.goto("/");
    // A person who is not signed in lands on sign-in, and finds the way to sign up.
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Username", { exact: true }).fill(username);
    await page.getByLabel("Email").fill(`${username}@example.com`);
    await page.getByLabel("Display name").fill(username.split("_")[0]?.toUpperCase() ?? username);
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.getByRole("link", { name: "Home", exact: true }).waitFor();
    expect(new URL(page.url()).pathname).to.equal("/");
  }

  it("Ada, Bob and Carol sign up", async () => {
    await signUp(ada.page, names.ada);
    await signUp(bob.page, names.bob);
    await signUp(carol.page, names.carol);
  });

  it("Bob follows Ada from her profile, and Ada's badge counts it live", async () => {
    await bob.page.goto(`/u/${names.ada}`);
    await bob.page.getByRole("heading", { level: 1, name: names.ada }).waitFor();
    await bob.page.getByRole("button", { name: "Follow", exact: true }).click();
    await bob.page.getByRole("button", { name: "Unfollow", exact: true }).waitFor();
    await bob.page.getByRole("link", { name: "1 follower" }).waitFor();
    await until(async () => (await badge(ada.page)) === "1 unread", "Ada's badge says 1 unread");
  });

  it("Ada posts two photos; Bob's open feed shows the new-post pill, then the post, without a reload", async () => {
    await bob.page.getByRole("link", { name: "Home", exact: true }).click();
    await bob.page.getByRole("button", { name: "Add to your story" }).waitFor();
    await bob.page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));

    await ada.page.getByRole("link", { name: "New post", exact: true }).click();
    await ada.page.getByLabel("Photos or videos").setInputFiles(PHOTOS);
    await ada.page.getByLabel("Caption").fill(`Sunset at the pier #golden${suffix} with @${names.bob}`);
    const share = ada.page.getByRole("button", { name: "Share" });
    await until(() => share.isEnabled(), "both uploads finished and Share is enabled", 60_000);
    await share.click();
    await ada.page.waitForURL(/\/p\/\d+$/);
    postPath = new URL(ada.page.url()).pathname;
    await ada.page
      .getByRole("article", { name: `Post by ${names.ada}` })
      .getByText("Sunset at the pier")
      .waitFor();

    const pill = bob.page.getByRole("button", { name: /^1 new post/ });
    await pill.waitFor({ timeout: 15_000 });
    await pill.click();
    const post = bob.page.getByRole("article", { name: `Post by ${names.ada}` });
    await post.getByText("Sunset at the pier").waitFor();
    await post.getByRole("link", { name: `#golden${suffix}` }).waitFor();
    expect(await post.locator("img").count()).to.be.at.least(1);
    const stillSamePage = await bob.page.evaluate(
      () => (globalThis as unknown as { notReloaded?: boolean }).notReloaded === true,
    );
    expect(stillSamePage, "the feed updated without reloading the page").to.equal(true);
  });

  it("Bob likes and comments; Ada's badge counts both live", async () => {
    const post = bob.page.getByRole("article", { name: `Post by ${names.ada}` });
    const like = post.getByRole("button", { name: "Like", exact: true });
    expect(await like.getAttribute("aria-pressed")).to.equal("false");
    await like.click();
    await until(
      async () => (await like.getAttribute("aria-pressed")) === "true",
      "the like button is pressed",
    );
    await post.getByText("1 like", { exact: true }).waitFor();

    await bob.page.goto(postPath);
    await bob.page.getByLabel("Add a comment").fill("What a view!");
    await bob.page.getByRole("button", { name: "Post comment" }).click();
    await bob.page.getByRole("listitem").filter({ hasText: "What a view!" }).waitFor();
    // A reload shows what the server kept, not what the page remembered.
    await bob.page.reload();
    await bob.page.getByRole("listitem").filter({ hasText: "What a view!" }).waitFor();
    expect(
      await bob.page.getByRole("button", { name: "Like", exact: true }).getAttribute("aria-pressed"),
    ).to.equal("true");

    await until(async () => (await badge(ada.page)) === "3 unread", "Ada's badge says 3 unread");
    await ada.page.getByRole("link", { name: /^Notifications/ }).click();
    await ada.page
      .getByRole("listitem")
      .filter({ hasText: `${names.bob} liked your post` })
      .waitFor();
    await ada.page
      .getByRole("listitem")
      .filter({ hasText: `${names.bob} commented` })
      .waitFor();
    await ada.page
      .getByRole("listitem")
      .filter({ hasText: `${names.bob} started following you` })
      .waitFor();
    await until(
      async () => (await ada.page.locator(".nav .badge").count()) === 0,
      "the badge is gone once read",
    );
  });

  it("Ada edits her caption; Bob sees the new words, marked as edited", async () => {
    await ada.page.goto(postPath);
    await ada.page.getByRole("button", { name: "Edit", exact: true }).click();
    await ada.page.getByLabel("Caption").fill(`Sunset at the old pier #golden${suffix} with @${names.bob}`);
    await ada.page.getByRole("button", { name: "Save caption", exact: true }).click();
    const mine = ada.page.getByRole("article", { name: `Post by ${names.ada}` });
    await mine.getByText("Sunset at the old pier").waitFor();
    await mine.getByText("· Edited").waitFor();

    await bob.page.goto(postPath);
    const theirs = bob.page.getByRole("article", { name: `Post by ${names.ada}` });
    await theirs.getByText("Sunset at the old pier").waitFor();
    await theirs.getByText("· Edited").waitFor();
    expect(
      await bob.page.getByRole("button", { name: "Edit", exact: true }).count(),
      "only the author edits",
    ).to.equal(0);
    // Bob has seen the post (in his feed, then on its page): Ada, and only she, sees it counted.
    await until(
      async () => {
        await ada.page.reload();
        return (await ada.page.getByText("1 view", { exact: true }).count()) === 1;
      },
      "Ada sees Bob's view counted",
      30_000,
    );
    expect(await bob.page.getByText(/^\d+ views?$/).count(), "nobody else sees views").to.equal(0);
    await ada.page.getByText("Insights", { exact: true }).click();
    const reached = ada.page.locator(".insights-totals div").filter({ hasText: "Accounts reached" });
    await until(async () => (await reached.locator("dd").textContent()) === "1", "Ada's insights count Bob");
    expect(
      await bob.page.getByText("Insights", { exact: true }).count(),
      "insights are the author's",
    ).to.equal(0);
    // The ranked feed ("For you") has the post too.
    await bob.page.goto("/");
    await bob.page.getByRole("button", { name: "For you", exact: true }).click();
    await bob.page
      .getByRole("article", { name: `Post by ${names.ada}` })
      .getByText("Sunset at the old pier")
      .waitFor();
  });

  it("they exchange direct messages, each seeing the other's live", async () => {
    await bob.page.goto(`/u/${names.ada}`);
    await bob.page.getByRole("button", { name: "Message" }).click();
    await bob.page.waitForURL(/\/messages\/\d+$/);
    const conversation = new URL(bob.page.url()).pathname;
    await bob.page.getByLabel("Message", { exact: true }).fill("Hi Ada, lovely photos!");
    await bob.page.getByRole("button", { name: "Send", exact: true }).click();
    await bob.page.getByRole("listitem").filter({ hasText: "Hi Ada, lovely photos!" }).waitFor();

    await ada.page.getByRole("link", { name: /^Messages/ }).click();
    await ada.page
      .getByRole("link", { name: new RegExp(names.bob) })
      .first()
      .click();
    await ada.page.waitForURL(new RegExp(`${conversation}$`));
    await ada.page.getByRole("listitem").filter({ hasText: "Hi Ada, lovely photos!" }).waitFor();
    await ada.page.getByLabel("Message", { exact: true }).fill("Thanks Bob!");
    await ada.page.getByRole("button", { name: "Send", exact: true }).click();
    // Bob's open thread gets it from the stream.
    await bob.page.getByRole("listitem").filter({ hasText: "Thanks Bob!" }).waitFor({ timeout: 10_000 });
  });

  it("Ada goes private; Carol's follow becomes a request that Ada approves", async () => {
    await ada.page.getByRole("link", { name: "Profile", exact: true }).click();
    await ada.page.getByRole("link", { name: "Edit profile" }).click();
    await ada.page.getByLabel("Private account").check();
    await ada.page.getByRole("button", { name: "Save" }).click();
    await ada.page.getByRole("status").filter({ hasText: "Saved" }).waitFor();

    await carol.page.goto(`/u/${names.ada}`);
    await carol.page.getByText("This account is private").waitFor();
    await carol.page.getByRole("button", { name: "Follow", exact: true }).click();
    await carol.page.getByRole("button", { name: "Cancel request", exact: true }).waitFor();

    await ada.page.getByRole("link", { name: "Profile", exact: true }).click();
    await ada.page.getByRole("link", { name: "Follow requests" }).click();
    await ada.page.getByRole("button", { name: `Approve ${names.carol}` }).click();
    await until(
      async () => (await ada.page.getByRole("button", { name: `Approve ${names.carol}` }).count()) === 0,
      "Carol's request leaves the list",
    );

    await carol.page.reload();
    await carol.page.getByRole("button", { name: "Unfollow", exact: true }).waitFor();
    // Now she sees Ada's posts.
    await carol.page
      .getByRole("link", { name: new RegExp(`Post by ${names.ada}`) })
      .first()
      .waitFor();
  });

  it("Ada adds Bob to her close friends and shares a photo with them alone: Bob sees it marked, Carol does not", async () => {
    await ada.page.goto("/close-friends");
    await ada.page.getByLabel("Username").fill(names.bob);
    await ada.page.getByRole("button", { name: "Add", exact: true }).click();
    await ada.page.getByRole("button", { name: `Remove ${names.bob} from close friends` }).waitFor();

    await ada.page.getByRole("link", { name: "New post", exact: true }).click();
    await ada.page.getByLabel("Photos or videos").setInputFiles(PHOTOS[0] as string);
    await ada.page.getByLabel("Caption").fill(`Only for friends ${suffix}`);
    await ada.page.getByLabel(/^Alt text/).fill("Two friends laughing on a bench");
    await ada.page.getByRole("radio", { name: /Close friends only/ }).check();
    const share = ada.page.getByRole("button", { name: "Share" });
    await until(() => share.isEnabled(), "the upload finished and Share is enabled", 60_000);
    await share.click();
    await ada.page.waitForURL(/\/p\/\d+$/);
    const path = new URL(ada.page.url()).pathname;

    await bob.page.goto(path);
    const post = bob.page.getByRole("article", { name: `Post by ${names.ada}` });
    await post.getByText(`Only for friends ${suffix}`).waitFor();
    await post.getByText("Close friends").waitFor();
    // The photo carries Ada's description as its alt text.
    await post.getByRole("img", { name: "Two friends laughing on a bench" }).waitFor();

    await carol.page.goto(path);
    await carol.page.getByRole("heading", { name: "This post is not available" }).waitFor();
  });

  it("Ada posts a story; Bob sees it unseen, watches it, and it turns seen; Ada sees Bob among its viewers", async () => {
    await ada.page.getByRole("link", { name: "Home", exact: true }).click();
    await ada.page.getByRole("button", { name: "Add to your story" }).click();
    await ada.page.getByLabel("Story photo or video").setInputFiles(PHOTOS[0] as string);
    await ada.page
      .getByRole("link", { name: `${names.ada}'s story, unseen` })
      .or(ada.page.getByRole("link", { name: `${names.ada}'s story, seen` }))
      .first()
      .waitFor({ timeout: 30_000 });

    await bob.page.getByRole("link", { name: "Home", exact: true }).click();
    const unseen = bob.page.getByRole("link", { name: `${names.ada}'s story, unseen` });
    await until(
      async () => {
        if ((await unseen.count()) > 0) return true;
        await bob.page.reload();
        await bob.page.getByRole("button", { name: "Add to your story" }).waitFor();
        return (await unseen.count()) > 0;
      },
      "Bob's stories bar shows Ada's story, unseen",
      30_000,
    );
    await unseen.click();
    await bob.page.waitForURL(new RegExp(`/stories/${names.ada}$`));
    await bob.page.locator("main img, main video").first().waitFor();
    await bob.page.getByRole("button", { name: "Close" }).click();
    await bob.page.getByRole("link", { name: `${names.ada}'s story, seen` }).waitFor({ timeout: 15_000 });

    await ada.page.goto(`/stories/${names.ada}`);
    await ada.page.getByRole("button", { name: "Viewers" }).click();
    await ada.page
      .getByRole("link", { name: new RegExp(names.bob) })
      .first()
      .waitFor();
  });

  it("raised no error in any page", () => {
    expect([...ada.errors, ...bob.errors, ...carol.errors]).to.deep.equal([]);
  });
});
