import { expect } from "chai";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { call } from "../../broker/calls";
import type { MessageView, PostView, StoryView, UserView } from "../../lib/contracts/objects";
import { ERASED_ACCOUNT_ID } from "../../lib/accounts/user-view";
import type { WideRowStore } from "../../lib/store/store";
import type { Page } from "../../lib/validation/page";
import { eventually } from "../support/eventually";
import { createPost, uploadPhoto } from "../support/media";
import { FakePushService } from "../support/push-service";
import { api, signup, startTestNode, type Account, type TestNode } from "../support/test-node";

const DAY_MS = 24 * 3600_000;

/**
 * What keeps naming an erased account on purpose (docs/architecture.md, "Erasing an account"): the operators'
 * audit log, the moderators' record of the cases about its content, what others reported (pointing at such a
 * case), and the mentions in others' posts and comments (their words). Answers the part of the row to look in.
 */
function lookedAt(table: string, row: Record<string, unknown>, accountId: string): Record<string, unknown> {
  if (["audit_log", "report_cases", "open_report_cases_by_target"].includes(table)) return {};
  if (table === "reporter_reports" && row.reporter_id !== accountId) return {};
  if ((table === "posts_b" || table === "comments_b") && row.author_id !== accountId) {
    const { mentions: _mentions, caption: _caption, text: _text, ...rest } = row;
    return rest;
  }
  return row;
}

/** Issue #17: an erased account leaves no row and no file that names it. */
describe("erasing an account", function () {
  this.timeout(300_000);
  const pushService = new FakePushService();
  let t: TestNode;
  let offsetMs = 0;
  before(async () => {
    await pushService.start();
    t = await startTestNode(
      {
        PUSH_INSECURE_ENDPOINTS: "on",
        VAPID_SUBJECT: "mailto:ops@example.com",
        ACCOUNT_DELETION_GRACE_DAYS: "10",
      },
      { now: () => Date.now() + offsetMs },
    );
  });
  after(async () => {
    await t.stop();
    await pushService.stop();
  });

  const as = (who: Account) => ({
    post: (route: string, body?: unknown) => api(t.url, "POST", `/api${route}`, { token: who.token, body }),
    put: (route: string) => api(t.url, "PUT", `/api${route}`, { token: who.token }),
    patch: (route: string, body: unknown) => api(t.url, "PATCH", `/api${route}`, { token: who.token, body }),
    get: <T>(route: string) => api<T>(t.url, "GET", `/api${route}`, { token: who.token }),
  });
  const ok = (res: { status: number; text: string }, what: string) =>
    expect(res.status, `${what}: ${res.text}`).to.be.within(200, 204);
  const store = (): WideRowStore => {
    const found = t.node.app.store;
    if (found === undefined) throw new Error("the test node has a store");
    return found;
  };

  /**
   * Every table the node opened is scanned (it hosts every service). The embedded store expires rows by the node's
   * clock, which this test moves days on; Cassandra expires them by its own, which nothing moves. On Cassandra, rows
   * whose life is shorter than the grace period are left out: in production they expire before any erasure runs
   * (each is written with its TTL; none lives past it).
   */
  const expiredOnCassandra = (table: string) =>
    process.env.MOSAIC_TEST_STORE === "cassandra" &&
    // Mailed links: each row written with its own life (an hour, two days), none past the grace.
    (table === "account_tokens" ||
      t.node.app.tables.some(
        (known) =>
          known.name === table && known.ttlSeconds !== undefined && known.ttlSeconds * 1000 <= 10 * DAY_MS,
      ));

  /** Every row of every table, as text, with the table's name. */
  async function everyRow(): Promise<{ table: string; row: Record<string, unknown> }[]> {
    const found: { table: string; row: Record<string, unknown> }[] = [];
    for (const table of t.node.app.tables) {
      let pageToken: string | undefined;
      do {
        const page = await store().scan(table, {
          limit: 1000,
          ...(pageToken !== undefined && { pageToken }),
        });
        for (const row of page.rows) found.push({ table: table.name, row });
        pageToken = page.nextPageToken;
      } while (pageToken !== undefined);
    }
    return found;
  }

  /** Signs in again (days on, tokens have run out). */
  const again = async (who: Account) => {
    const res = await api<{ token: string }>(t.url, "POST", "/api/auth/login", {
      body: { login: who.username, password: who.password },
    });
    expect(res.status, res.text).to.equal(200);
    return { ...who, token: res.body.token };
  };

  const searched = async (who: Account, q: string, type: "users" | "posts") => {
    const res = await api<Page<{ id: string }>>(
      t.url,
      "GET",
      `/api/search?type=${type}&q=${encodeURIComponent(q)}`,
      {
        token: who.token,
      },
    );
    expect(res.status, res.text).to.equal(200);
    return (res.body.items ?? []).map((item) => item.id);
  };

  async function everyFile(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true });
    return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  }

  it("leaves no row and no file naming the account, keeps its messages from a deleted account, and frees its name", async () => {
    const [ada, bob, carol, dan, erin, frank] = await Promise.all([
      signup(t.url),
      signup(t.url),
      signup(t.url),
      signup(t.url),
      signup(t.url),
      signup(t.url),
    ]);
    const a = as(ada);
    // Dan is private: Ada's request to follow him stays pending.
    ok(await as(dan).patch("/me", { isPrivate: true }), "dan goes private");

    // Ada's own things: posts with a tag and a mention, an avatar, a story, a push subscription.
    const tag = `erase${Date.now().toString(36)}`;
    const adaPost = await createPost(t.url, ada, `first #${tag} with @${bob.username}`);
    const adaSecond = await createPost(t.url, ada, "second");
    const avatar = await uploadPhoto(t.url, ada, { ready: true });
    ok(await a.patch("/me", { avatarMediaId: avatar.id, bio: "to be erased" }), "avatar");
    const storyMedia = await uploadPhoto(t.url, ada, { ready: true });
    const story = await a.post("/stories", { mediaId: storyMedia.id });
    ok(story, "story");
    const browser = pushService.subscribe("ada");
    ok(await a.post("/push/subscriptions", { endpoint: browser.endpoint, keys: browser.keys }), "push");

    // Follows both ways, a pending request, blocks both ways, close friends and mutes both ways.
    ok(await a.post(`/users/${bob.username}/follow`), "ada follows bob");
    ok(await as(bob).post(`/users/${ada.username}/follow`), "bob follows ada");
    ok(await as(carol).post(`/users/${ada.username}/follow`), "carol follows ada");
    ok(await a.post(`/users/${dan.username}/follow`), "ada asks dan");
    ok(await a.post(`/users/${erin.username}/block`), "ada blocks erin");
    ok(await as(dan).post(`/users/${ada.username}/block`), "dan blocks ada");
    ok(await a.put(`/me/close-friends/${bob.username}`), "bob is ada's close friend");
    ok(await as(bob).put(`/me/close-friends/${ada.username}`), "ada is bob's close friend");
    ok(await a.post(`/users/${carol.username}/mute`), "ada mutes carol");
    ok(await as(bob).post(`/users/${ada.username}/mute`, {}), "bob mutes ada");

    // What each did to the other's posts: likes, comments, saves, views.
    const bobPost = await createPost(t.url, bob, "bob's");
    ok(await a.post(`/posts/${bobPost.id}/like`), "ada likes bob's post");
    ok(await a.post(`/posts/${bobPost.id}/comments`, { text: "ada was here" }), "ada comments");
    ok(await a.post(`/posts/${bobPost.id}/save`), "ada saves");
    ok(await a.post("/posts/views", { ids: [bobPost.id] }), "ada views");
    ok(await as(carol).post(`/posts/${adaPost.id}/like`), "carol likes ada's post");
    ok(await as(carol).post(`/posts/${adaPost.id}/comments`, { text: "nice" }), "carol comments");
    ok(await as(carol).post(`/posts/${adaPost.id}/save`), "carol saves ada's post");
    ok(await as(carol).post("/posts/views", { ids: [adaPost.id] }), "carol views");
    const bobStoryMedia = await uploadPhoto(t.url, bob, { ready: true });
    const bobStory = await as(bob).post("/stories", { mediaId: bobStoryMedia.id });
    ok(bobStory, "bob's story");
    ok(await a.post(`/stories/${(bobStory.body as StoryView).id}/view`), "ada views bob's story");
    ok(await as(bob).post(`/stories/${(story.body as StoryView).id}/view`), "bob views ada's story");

    // A conversation: Ada's text, photo and shared post, Bob's answer; and reports both ways.
    const opened = await a.post("/conversations", { usernames: [bob.username] });
    ok(opened, "conversation");
    const conversationId = (opened.body as { id: string }).id;
    const photo = await uploadPhoto(t.url, ada, { ready: true });
    ok(await a.post(`/conversations/${conversationId}/messages`, { text: "hi bob" }), "text");
    ok(await a.post(`/conversations/${conversationId}/messages`, { mediaId: photo.id }), "photo");
    ok(await a.post(`/conversations/${conversationId}/messages`, { postId: adaPost.id }), "share");
    ok(await as(bob).post(`/conversations/${conversationId}/messages`, { text: "hi ada" }), "answer");
    ok(await a.post("/reports", { type: "post", id: bobPost.id, reason: "spam" }), "ada reports");
    // A post Ada deleted herself, which Carol had liked, saved and commented on: a deletion leaves those.
    const gone = await createPost(t.url, ada, "soon gone");
    ok(await as(carol).post(`/posts/${gone.id}/like`), "carol likes the post to go");
    ok(await as(carol).post(`/posts/${gone.id}/save`), "carol saves it");
    ok(await as(carol).post(`/posts/${gone.id}/comments`, { text: "bye" }), "carol comments on it");
    ok(await api(t.url, "DELETE", `/api/posts/${gone.id}`, { token: ada.token }), "ada deletes it");
    // Others' words about her: a mention in Bob's caption and in his comment.
    const mentioning = await createPost(t.url, bob, `with @${ada.username}`);
    ok(await as(bob).post(`/posts/${mentioning.id}/comments`, { text: `@${ada.username} look` }), "mention");
    // Private at last: Frank's request to follow her is pending.
    ok(await a.patch("/me", { isPrivate: true }), "ada goes private");
    ok(await as(frank).post(`/users/${ada.username}/follow`), "frank asks ada");
    ok(await as(bob).post("/reports", { type: "post", id: adaSecond.id, reason: "spam" }), "bob reports");
    await eventually(
      async () =>
        ((await as(bob).get<Page<{ actor: UserView }>>("/notifications")).body.items ?? []).some(
          (n) => n.actor.id === ada.user.id,
        ),
      "bob hears of ada",
    );

    // And an archive of it all, ready to download.
    ok(await a.post("/me/export"), "export");
    await eventually(
      async () => (await a.get<{ state: string }>("/me/export")).body.state === "ready",
      "the export ready",
      60_000,
    );
    await eventually(
      async () =>
        (await searched(bob, ada.username, "users")).includes(ada.user.id) &&
        (await searched(bob, tag, "posts")).includes(adaPost.id),
      "search finds ada and her post",
    );

    const ids = [
      gone.id,
      ...gone.media.map((m) => m.id),
      ada.user.id,
      ada.username,
      `${ada.username}@example.com`,
      adaPost.id,
      adaSecond.id,
      avatar.id,
      storyMedia.id,
      photo.id,
      (story.body as StoryView).id,
      ...adaPost.media.map((m) => m.id),
      ...adaSecond.media.map((m) => m.id),
    ];
    const naming = async () =>
      (await everyRow())
        .filter(({ table }) => !expiredOnCassandra(table))
        .map(({ table, row }) => ({ table, text: JSON.stringify(lookedAt(table, row, ada.user.id)) }))
        .filter(({ text }) => ids.some((id) => text.includes(id)));
    // The sweep can fail: before the erasure, the account is everywhere.
    const before = new Set((await naming()).map((row) => row.table));
    for (const table of [
      "users",
      "posts_b",
      "likes_by_pair",
      "comments_b",
      "following_by_pair",
      "messages_b",
      "notifications_b",
      "export_jobs",
      "deleted_posts",
      "follow_requests_by_pair",
      "saves_by_pair",
      "reporter_reports",
    ]) {
      expect(before, `seeded into ${table}`).to.include(table);
    }
    expect(before.size).to.be.greaterThan(40);
    const filesBefore = (await everyFile(path.join(t.dataDir, "blobs"))).filter((f) =>
      f.includes(ada.user.id),
    );
    expect(filesBefore.length).to.be.greaterThan(4);

    // Deleted, then the grace period passes and the erasure runs (as each users node does every minute).
    ok(
      await api(t.url, "DELETE", "/api/me", { token: ada.token, body: { password: ada.password } }),
      "delete",
    );
    // The shortest grace there is: rows that live less (the stream log, trend rows) have expired by now, the
    // export's archive is past its week but the hourly sweep has not run (the erasure takes it).
    offsetMs = 11 * DAY_MS;
    const erased = await call(t.node.broker, "users.eraseDue", {});
    expect(erased.erased).to.equal(1);
    // Twice changes nothing.
    expect((await call(t.node.broker, "users.eraseDue", {})).erased).to.equal(0);

    // Search drops the account and its posts as it applies its jobs; the outbox rows that said so (ids only)
    // expire a week on, as every outbox row does.
    const bobLater = await again(bob);
    await eventually(
      async () =>
        !(await searched(bobLater, ada.username, "users")).includes(ada.user.id) &&
        !(await searched(bobLater, tag, "posts")).includes(adaPost.id),
      "search forgets the account",
    );
    offsetMs += 8 * DAY_MS;
    const left = await naming();
    expect(left.map((row) => `${row.table}: ${row.text}`)).to.deep.equal([]);
    const filesAfter = (await everyFile(path.join(t.dataDir, "blobs"))).filter((f) =>
      f.includes(ada.user.id),
    );
    expect(filesAfter).to.deep.equal([]);

    // Through the API, days on (tokens have run out: everyone signs in again).
    const [bobNow, carolNow] = await Promise.all([again(bob), again(carol)]);
    const b = as(bobNow);
    const messages = await b.get<Page<MessageView>>(`/conversations/${conversationId}/messages`);
    expect(messages.status, messages.text).to.equal(200);
    const fromAda = (messages.body.items ?? []).filter((m) => m.sender.id === ERASED_ACCOUNT_ID);
    expect(fromAda.map((m) => m.sender.displayName)).to.deep.equal(Array(3).fill("Deleted account"));
    expect(fromAda.map((m) => m.text ?? null)).to.include("hi bob");
    expect(fromAda.some((m) => m.media !== undefined)).to.equal(false);
    expect((messages.body.items ?? []).map((m) => m.text)).to.include("hi ada");
    // Everything Bob was told of came from Ada: nothing is left to read, nor counted as unread.
    expect((await b.get<Page<unknown>>("/notifications")).body.items).to.deep.equal([]);
    expect((await b.get<{ count: number }>("/notifications/unread-count")).body.count).to.equal(0);
    const bobMe = await b.get<UserView>("/me");
    expect(bobMe.body.counts).to.include({ followers: 0, following: 0 });
    const bobsPost = await b.get<PostView>(`/posts/${bobPost.id}`);
    expect(bobsPost.body.likeCount).to.equal(0);
    expect(bobsPost.body.commentCount).to.equal(0);
    expect((await as(carolNow).get<Page<PostView>>("/me/saved")).body.items).to.deep.equal([]);
    // The name and address are free again.
    const reborn = await api(t.url, "POST", "/api/auth/signup", {
      body: {
        username: ada.username,
        email: `${ada.username}@example.com`,
        password: "another horse battery",
      },
    });
    expect(reborn.status, reborn.text).to.equal(201);
  });
});
