import { expect } from "chai";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { uploadPhoto, uploadVideo } from "../support/media";
import { api, signup, type Account } from "../support/test-node";
import {
  DESKTOP,
  launchChromium,
  PHONE,
  personIn,
  seriousViolations,
  signInWithToken,
  startMosaic,
  until,
  type RunningMosaic,
} from "../support/browser";

/** `npm run screenshots` sets this: the run also writes each screen's picture for the README. */
const SHOTS = process.env.SCREENSHOTS === "1" ? path.resolve(__dirname, "../../docs/screenshots") : undefined;

/**
 * Each main screen at phone and desktop width, with data in it: axe-core finds no serious or critical
 * accessibility violation, the screen shows its content (not a blank page or an error), and no script fails.
 */
describe("the web client's screens", function () {
  this.timeout(300_000);
  let mosaic: RunningMosaic;
  let browser: Browser;
  let ada: Account;
  let bob: Account;
  let postId = "";
  let conversationId = "";
  let closePostId = "";
  let mutedName = "";
  const tag = `light${Math.random().toString(36).slice(2, 6)}`;

  before(async () => {
    mosaic = await startMosaic();
    browser = await launchChromium();
    const url = mosaic.url;
    ada = await signup(url);
    bob = await signup(url);
    const carol = await signup(url);
    await api(url, "PATCH", "/api/me", {
      token: ada.token,
      body: { displayName: "Ada L.", bio: "Photos of light" },
    });
    await api(url, "POST", `/api/users/${ada.username}/follow`, { token: bob.token });
    await api(url, "POST", `/api/users/${bob.username}/follow`, { token: ada.token });
    for (let i = 0; i < 4; i++) {
      const media = await uploadPhoto(url, ada, { ready: true });
      const post = await api<{ id: string }>(url, "POST", "/api/posts", {
        token: ada.token,
        body: { caption: `Morning ${i} #${tag} with @${bob.username}`, mediaIds: [media.id] },
      });
      postId = post.body.id;
    }
    const clip = await uploadVideo(url, ada);
    await api(url, "POST", "/api/posts", {
      token: ada.token,
      body: { caption: "Reel time", mediaIds: [clip.id] },
    });
    await api(url, "POST", `/api/posts/${postId}/like`, { token: bob.token });
    await api(url, "POST", `/api/posts/${postId}/comments`, {
      token: bob.token,
      body: { text: "Lovely light" },
    });
    await api(url, "POST", `/api/posts/${postId}/save`, { token: bob.token });
    const story = await uploadPhoto(url, ada, { ready: true });
    await api(url, "POST", "/api/stories", { token: ada.token, body: { mediaId: story.id } });
    const conversation = await api<{ id: string }>(url, "POST", "/api/conversations", {
      token: bob.token,
      body: { usernames: [ada.username] },
    });
    conversationId = conversation.body.id;
    await api(url, "POST", `/api/conversations/${conversationId}/messages`, {
      token: bob.token,
      body: { text: "Saw your morning series" },
    });
    await api(url, "PUT", `/api/me/close-friends/${bob.username}`, { token: ada.token });
    await api(url, "POST", `/api/users/${carol.username}/mute`, {
      token: bob.token,
      body: { seconds: 86_400 },
    });
    mutedName = carol.username;
    const forFriends = await uploadPhoto(url, ada, { ready: true });
    const closePost = await api<{ id: string }>(url, "POST", "/api/posts", {
      token: ada.token,
      body: { caption: "Just for friends", mediaIds: [forFriends.id], audience: "close_friends" },
    });
    closePostId = closePost.body.id;
    await api(url, "PATCH", "/api/me", { token: carol.token, body: { isPrivate: true } });
    await api(url, "POST", `/api/users/${carol.username}/follow`, { token: bob.token });
    if (SHOTS) await mkdir(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await mosaic?.stop();
  });

  /** Each screen: who looks, where, and what it must show once loaded. */
  const screens = (): { name: string; who: Account | null; path: string; shows: string }[] => [
    { name: "sign-in", who: null, path: "/signin", shows: "Sign in" },
    { name: "sign-up", who: null, path: "/signup", shows: "Create your account" },
    { name: "feed", who: bob, path: "/", shows: "Morning 3" },
    { name: "post", who: bob, path: `/p/${postId}`, shows: "Lovely light" },
    { name: "profile", who: bob, path: `/u/${ada.username}`, shows: "Photos of light" },
    { name: "new-post", who: ada, path: "/new", shows: "Caption" },
    { name: "edit-profile", who: ada, path: "/settings/profile", shows: "Private account" },
    { name: "notifications", who: ada, path: "/notifications", shows: "liked your post" },
    { name: "messages", who: ada, path: `/messages/${conversationId}`, shows: "Saw your morning series" },
    { name: "story", who: bob, path: `/stories/${ada.username}`, shows: "" },
    {
      name: "search",
      who: bob,
      path: `/search?q=${ada.username.slice(0, 6)}&type=users`,
      shows: ada.username,
    },
    { name: "tag", who: bob, path: `/tags/${tag}`, shows: `#${tag}` },
    { name: "explore", who: bob, path: "/explore", shows: "Explore" },
    { name: "reels", who: bob, path: "/reels", shows: "Reel time" },
    { name: "saved", who: bob, path: "/saved", shows: "Saved" },
    { name: "close-friends", who: ada, path: "/close-friends", shows: bob.username },
    { name: "muted", who: bob, path: "/muted", shows: mutedName },
    { name: "security", who: ada, path: "/settings/security", shows: "This device" },
    { name: "close-friends-post", who: bob, path: `/p/${closePostId}`, shows: "Close friends" },
  ];

  for (const [width, viewport] of [
    ["phone", PHONE],
    ["desktop", DESKTOP],
  ] as const) {
    it(`shows every main screen at ${width} width, with no serious accessibility violation`, async () => {
      const failures: string[] = [];
      for (const screen of screens()) {
        const { context, page, errors } = await personIn(browser, mosaic.url, viewport);
        if (screen.who) await signInWithToken(context, screen.who.token);
        await page.goto(screen.path);
        const shown = await settle(page, screen.shows);
        if (!shown) failures.push(`${screen.name}: never showed "${screen.shows}"`);
        for (const v of await seriousViolations(page)) {
          failures.push(
            `${screen.name}: ${v.impact} ${v.id} (${v.help}) at ${JSON.stringify(v.nodes[0]?.target)}`,
          );
        }
        if (errors.length > 0) failures.push(`${screen.name}: page errors ${errors.join("; ")}`);
        if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${screen.name}-${width}.png`) });
        await context.close();
      }
      expect(failures).to.deep.equal([]);
    });
  }
});

/** Waits until the page shows `text` in its main content and has nothing still loading. */
async function settle(page: Page, text: string): Promise<boolean> {
  try {
    await until(async () => {
      const main = (await page.locator("main").first().innerText()).trim();
      const loading = await page.getByRole("status").filter({ hasText: "Loading…" }).count();
      return main.length > 0 && main.includes(text) && loading === 0;
    }, `the page shows "${text}"`);
    // Pictures loaded, so that the screenshot and the contrast checks see the page as a person does. (Not
    // "networkidle": the live stream is a request that never ends.)
    await page
      .waitForFunction(
        () =>
          [
            ...(globalThis as unknown as { document: { images: Iterable<{ complete: boolean }> } }).document
              .images,
          ].every((img) => img.complete),
        undefined,
        { timeout: 5_000 },
      )
      .catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}
