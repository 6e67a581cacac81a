import { expect } from "chai";
import { adminCommands } from "../../broker/admin-commands";
import type {
  CommentView,
  MessageView,
  NotificationView,
  PostView,
  StoryView,
  UserView,
} from "../../lib/contracts/objects";
import type { Discovery } from "../../lib/discovery";
import type { ReportCaseDetail, ReportCaseView, ReportView } from "../../lib/moderation/params";
import type { Page } from "../../lib/validation/page";
import { users } from "../../lib/accounts/tables";
import { reportsReceived } from "../../lib/moderation/tables";
import { eventually } from "../support/eventually";
import { createPost, uploadPhoto } from "../support/media";
import { printed } from "../support/repl";
import { api, signup, startTestNode, uniqueName, type Account, type TestNode } from "../support/test-node";

interface ErrorBody {
  error?: { code: string; details?: unknown };
}

/** Issue #16: reports, the moderation queue and its decisions, and their effects everywhere. */
describe("moderation: reports, the queue and its decisions", function () {
  this.timeout(180_000);
  let t: TestNode;
  let discovery: Discovery;
  let offsetMs = 0;
  let moderator: Account;
  let admin: Account;

  const grant = async (who: Account, role: "admin" | "moderator") => {
    const grantRole = adminCommands(() => t.node.app.callerProofs).find((c) =>
      c.command.startsWith("grant-role"),
    );
    if (!grantRole) throw new Error("no grant-role command");
    const out = await printed(grantRole, t.node.broker, { user: who.username, role });
    expect(out.join("\n")).to.include(`role: ${role}`);
  };

  before(async () => {
    // Three distinct reporters within the hour hold an account for review.
    t = await startTestNode({ MODERATION_HOLD_REPORTERS: "3" }, { now: () => Date.now() + offsetMs });
    const built = t.node.app.discovery;
    if (built === undefined) throw new Error("the test node hosts discovery");
    discovery = built;
    [moderator, admin] = await Promise.all([signup(t.url), signup(t.url)]);
    await grant(moderator, "moderator");
    await grant(admin, "admin");
  });
  after(() => t.stop());
  beforeEach(() => {
    offsetMs = 0;
  });

  const report = (who: Account, body: Record<string, unknown>) =>
    api<ReportView & ErrorBody>(t.url, "POST", "/api/reports", { token: who.token, body });
  const queue = async (who: Account = moderator): Promise<ReportCaseView[]> => {
    const items: ReportCaseView[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; text: string; body: Page<ReportCaseView> } = await api<
        Page<ReportCaseView>
      >(t.url, "GET", `/api/admin/reports?limit=100${cursor ? `&cursor=${cursor}` : ""}`, {
        token: who.token,
      });
      expect(res.status, res.text).to.equal(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  };
  const caseOf = async (type: string, id: string): Promise<ReportCaseView> => {
    const found = (await queue()).find((c) => c.target.type === type && c.target.id === id);
    if (!found) throw new Error(`no open case for ${type} ${id}`);
    return found;
  };
  const resolve = (who: Account, caseId: string, body: Record<string, unknown>) =>
    api<ReportCaseView & ErrorBody>(t.url, "POST", `/api/admin/reports/${caseId}/resolve`, {
      token: who.token,
      body,
    });
  const follow = async (who: Account, whom: Account) => {
    const res = await api(t.url, "POST", `/api/users/${whom.username}/follow`, { token: who.token });
    expect(res.status, res.text).to.equal(200);
  };
  const notifications = async (who: Account) =>
    (await api<Page<NotificationView>>(t.url, "GET", "/api/notifications?limit=100", { token: who.token }))
      .body.items;
  const outcomes = async (who: Account) =>
    (await notifications(who)).filter((n) => n.type === "report_resolved").map((n) => n.report);
  const conversationWith = async (who: Account, other: Account): Promise<string> => {
    const res = await api<{ id: string }>(t.url, "POST", "/api/conversations", {
      token: who.token,
      body: { usernames: [other.username] },
    });
    expect(res.status, res.text).to.be.oneOf([200, 201]);
    return res.body.id;
  };
  const messagesOf = async (who: Account, conversationId: string) =>
    (
      await api<Page<MessageView>>(t.url, "GET", `/api/conversations/${conversationId}/messages`, {
        token: who.token,
      })
    ).body.items;
  const status = async (url: string) => (await fetch(url)).status;
  const store = () => {
    if (!t.node.app.store) throw new Error("no store");
    return t.node.app.store;
  };

  it("files a report once per reporter and target, and refuses oneself, the unseen and bad input", async () => {
    const [author, reporter, stranger] = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
    const post = await createPost(t.url, author, "report me");
    const filed = await report(reporter, {
      type: "post",
      id: post.id,
      reason: "spam",
      note: "  bought likes ",
    });
    expect(filed.status, filed.text).to.equal(201);
    expect(filed.headers.get("location")).to.equal("/api/me/reports");
    expect(filed.body).to.include({ reason: "spam", note: "bought likes", status: "open", outcome: null });
    expect(filed.body.target).to.deep.equal({ type: "post", id: post.id });

    const again = await report(reporter, { type: "post", id: post.id, reason: "hate" });
    expect([again.status, again.body.error?.code]).to.deep.equal([409, "ALREADY_REPORTED"]);
    const own = await report(author, { type: "post", id: post.id, reason: "spam" });
    expect([own.status, own.body.error?.code]).to.deep.equal([400, "CANNOT_REPORT_SELF"]);
    const self = await report(author, { type: "account", id: author.user.id, reason: "spam" });
    expect([self.status, self.body.error?.code]).to.deep.equal([400, "CANNOT_REPORT_SELF"]);

    // What the reporter may not see cannot be reported, and the answer does not say it exists.
    const hidden = await signup(t.url);
    const privatePost = await createPost(t.url, hidden, "friends only");
    expect(
      (await api(t.url, "PATCH", "/api/me", { token: hidden.token, body: { isPrivate: true } })).status,
    ).to.equal(200);
    const unseen = await report(stranger, { type: "post", id: privatePost.id, reason: "spam" });
    expect(unseen.status).to.equal(404);
    const missing = await report(stranger, { type: "post", id: "123", reason: "spam" });
    expect(missing.status).to.equal(404);
    // A message, only by the members of its conversation.
    const conversation = await conversationWith(author, reporter);
    const sent = await api<MessageView>(t.url, "POST", `/api/conversations/${conversation}/messages`, {
      token: author.token,
      body: { text: "psst" },
    });
    const outsider = await report(stranger, {
      type: "message",
      id: sent.body.id,
      conversationId: conversation,
      reason: "harassment",
    });
    expect(outsider.status).to.equal(404);

    for (const body of [
      { type: "post", id: post.id, reason: "boring" },
      { type: "post", id: post.id },
      { type: "post", id: "x", reason: "spam" },
      { type: "planet", id: post.id, reason: "spam" },
      { type: "message", id: sent.body.id, reason: "spam" },
      { type: "post", id: post.id, conversationId: conversation, reason: "spam" },
      { type: "post", id: post.id, reason: "spam", note: "x".repeat(1001) },
      { type: "post", id: post.id, reason: "spam", extra: 1 },
    ]) {
      const bad = await report(stranger, body);
      expect([bad.status, bad.body.error?.code], JSON.stringify(body)).to.deep.equal([
        400,
        "VALIDATION_FAILED",
      ]);
    }
  });

  it("queues one case per target, oldest first, with its reporters and reasons, for moderators and admins only", async () => {
    const [author, r1, r2, r3, plain] = await Promise.all([
      signup(t.url),
      signup(t.url),
      signup(t.url),
      signup(t.url),
      signup(t.url),
    ]);
    const first = await createPost(t.url, author, "first");
    const second = await createPost(t.url, author, "second");
    expect((await report(r1, { type: "post", id: first.id, reason: "spam" })).status).to.equal(201);
    expect((await report(r2, { type: "post", id: second.id, reason: "violence" })).status).to.equal(201);
    expect(
      (await report(r3, { type: "post", id: first.id, reason: "scam", note: "a fake shop" })).status,
    ).to.equal(201);

    const cases = (await queue()).filter((c) => c.author?.id === author.user.id);
    expect(cases.map((c) => c.target.id)).to.deep.equal([first.id, second.id]);
    expect(cases[0]).to.deep.include({ status: "open", reporters: 2, resolution: null });
    expect(cases[0]?.reasons).to.deep.equal({ spam: 1, scam: 1 });
    expect(cases[0]?.author).to.deep.equal({ id: author.user.id, username: author.username });
    expect(cases[0]?.content).to.deep.equal({ text: "first", mediaIds: first.media.map((m) => m.id) });

    const detail = await api<ReportCaseDetail>(t.url, "GET", `/api/admin/reports/${cases[0]?.id}`, {
      token: admin.token,
    });
    expect(detail.status, detail.text).to.equal(200);
    expect(detail.body.reports.map((r) => [r.reporter.username, r.reason, r.note])).to.deep.equal([
      [r1.username, "spam", null],
      [r3.username, "scam", "a fake shop"],
    ]);
    expect((await api(t.url, "GET", "/api/admin/reports/123", { token: moderator.token })).status).to.equal(
      404,
    );

    // Everyone else: 403 on each moderation route; a moderator is no admin.
    for (const [method, path, body] of [
      ["GET", "/api/admin/reports", undefined],
      ["GET", `/api/admin/reports/${cases[0]?.id}`, undefined],
      ["POST", `/api/admin/reports/${cases[0]?.id}/resolve`, { action: "dismiss", reason: "fine" }],
    ] as const) {
      const refused = await api<ErrorBody>(t.url, method, path, {
        token: plain.token,
        ...(body && { body }),
      });
      expect([refused.status, refused.body.error?.code], path).to.deep.equal([403, "NOT_MODERATOR"]);
    }
    const notAdmin = await api<ErrorBody>(t.url, "GET", `/api/admin/users/${plain.username}`, {
      token: moderator.token,
    });
    expect([notAdmin.status, notAdmin.body.error?.code]).to.deep.equal([403, "NOT_ADMIN"]);
  });

  it("removes a post everywhere: feeds, profile, tag page, search, notifications; a share says removed; files stop", async () => {
    const [author, fan, friend, r1, r2] = await Promise.all([
      signup(t.url),
      signup(t.url),
      signup(t.url),
      signup(t.url),
      signup(t.url),
    ]);
    await follow(fan, author);
    const tag = uniqueName("bad").replace(/[^a-z0-9]/g, "");
    const word = uniqueName("w").replace(/[^a-z]/g, "");
    const post = await createPost(t.url, author, `awful ${word} #${tag}`);
    const keep = await createPost(t.url, author, `fine ${word}`);
    expect((await api(t.url, "POST", `/api/posts/${post.id}/like`, { token: fan.token })).status).to.equal(
      200,
    );
    const shared = await api(t.url, "POST", `/api/posts/${post.id}/share`, {
      token: fan.token,
      body: { usernames: [friend.username] },
    });
    expect(shared.status, shared.text).to.equal(201);
    const fanConversation = await conversationWith(fan, friend);
    const searchPosts = async () =>
      (
        await api<Page<PostView>>(t.url, "GET", `/api/search?type=posts&q=${word}`, { token: fan.token })
      ).body.items.map((p) => p.id);
    await eventually(async () => (await searchPosts()).includes(post.id), "the post is searchable");
    const viewed = await api<PostView>(t.url, "GET", `/api/posts/${post.id}`, { token: fan.token });
    const fileUrl = viewed.body.media[0]?.variants.thumb?.url ?? "";
    await eventually(async () => (await status(fileUrl)) === 200, "the file is served");

    expect((await report(r1, { type: "post", id: post.id, reason: "hate" })).status).to.equal(201);
    expect((await report(r2, { type: "post", id: post.id, reason: "violence" })).status).to.equal(201);
    const open = await caseOf("post", post.id);
    const decided = await resolve(moderator, open.id, { action: "remove", reason: "hate speech" });
    expect(decided.status, decided.text).to.equal(200);
    expect(decided.body.status).to.equal("resolved");
    expect(decided.body.resolution).to.deep.include({ action: "remove", reason: "hate speech", until: null });
    expect(decided.body.resolution?.by).to.deep.equal({
      id: moderator.user.id,
      username: moderator.username,
    });

    expect((await api(t.url, "GET", `/api/posts/${post.id}`, { token: fan.token })).status).to.equal(404);
    const feed = await api<Page<PostView>>(t.url, "GET", "/api/feed", { token: fan.token });
    expect(feed.body.items.map((p) => p.id))
      .to.include(keep.id)
      .and.not.include(post.id);
    const profile = await api<Page<PostView>>(t.url, "GET", `/api/users/${author.username}/posts`, {
      token: fan.token,
    });
    expect(profile.body.items.map((p) => p.id)).to.deep.equal([keep.id]);
    const tagged = await api<Page<PostView>>(t.url, "GET", `/api/tags/${tag}/posts`, { token: fan.token });
    expect(tagged.body.items).to.deep.equal([]);
    await eventually(async () => !(await searchPosts()).includes(post.id), "the post leaves search");
    expect(await searchPosts()).to.include(keep.id);
    // The author's like notification about it is gone; the share says "removed" and no longer names it.
    expect((await notifications(author)).filter((n) => n.postId === post.id)).to.deep.equal([]);
    const [share] = await messagesOf(friend, fanConversation);
    expect(share).to.deep.include({ removed: true });
    expect(share).to.not.have.property("postId");
    await eventually(async () => (await status(fileUrl)) === 404, "its files stop being served");

    // Every reporter is told how it ended, and their own list says so; the case is closed and out of the queue.
    for (const reporter of [r1, r2]) {
      expect(await outcomes(reporter)).to.deep.equal([
        { id: open.id, targetType: "post", outcome: "removed" },
      ]);
      const mine = await api<Page<ReportView>>(t.url, "GET", "/api/me/reports", { token: reporter.token });
      expect(mine.body.items.map((r) => [r.target.id, r.status, r.outcome])).to.deep.equal([
        [post.id, "resolved", "removed"],
      ]);
    }
    const twice = await resolve(admin, open.id, { action: "dismiss", reason: "changed my mind" });
    expect([twice.status, twice.body.error?.code]).to.deep.equal([409, "REPORT_RESOLVED"]);
    expect((await queue()).map((c) => c.id)).to.not.include(open.id);
    // Audited under the moderator's name.
    const audit = await api<{ items: { operator: string; command: string; outcome: string }[] }>(
      t.url,
      "GET",
      "/api/admin/audit?limit=100",
      { token: admin.token },
    );
    expect(audit.body.items).to.deep.include({
      ...audit.body.items.find((e) => e.command === "report-remove" && e.outcome === "ok"),
      operator: `moderator ${moderator.username} (${moderator.user.id})`,
    });
    // Reported again later, it would be a new case: but it is gone, so the report finds nothing.
    expect((await report(fan, { type: "post", id: post.id, reason: "spam" })).status).to.equal(404);
  });

  it("removes a comment, a story and a message; a removed message keeps its place without its content", async () => {
    const [author, reporter] = await Promise.all([signup(t.url), signup(t.url)]);
    await follow(reporter, author);
    const post = await createPost(t.url, reporter, "my post");
    const comment = await api<CommentView>(t.url, "POST", `/api/posts/${post.id}/comments`, {
      token: author.token,
      body: { text: "a nasty comment" },
    });
    expect(comment.status, comment.text).to.equal(201);
    const storyMedia = await uploadPhoto(t.url, author, { ready: true });
    const story = await api<StoryView>(t.url, "POST", "/api/stories", {
      token: author.token,
      body: { mediaId: storyMedia.id },
    });
    expect(story.status, story.text).to.equal(201);
    const conversation = await conversationWith(author, reporter);
    const photo = await uploadPhoto(t.url, author, { ready: true });
    const message = await api<MessageView>(t.url, "POST", `/api/conversations/${conversation}/messages`, {
      token: author.token,
      body: { text: "a threat", mediaId: photo.id },
    });
    expect(message.status, message.text).to.equal(201);
    const messageFile = (await messagesOf(reporter, conversation))[0]?.media?.variants.thumb?.url ?? "";
    await eventually(async () => (await status(messageFile)) === 200, "the message's photo is served");

    for (const [type, id, extra] of [
      ["comment", comment.body.id, {}],
      ["story", story.body.id, {}],
      ["message", message.body.id, { conversationId: conversation }],
    ] as const) {
      expect((await report(reporter, { type, id, reason: "harassment", ...extra })).status, type).to.equal(
        201,
      );
      const open = await caseOf(type, id);
      expect(open.author?.id).to.equal(author.user.id);
      const decided = await resolve(moderator, open.id, { action: "remove", reason: "harassment" });
      expect(decided.status, decided.text).to.equal(200);
    }

    const comments = await api<Page<CommentView>>(t.url, "GET", `/api/posts/${post.id}/comments`, {
      token: reporter.token,
    });
    expect(comments.body.items).to.deep.equal([]);
    const seenPost = await api<PostView>(t.url, "GET", `/api/posts/${post.id}`, { token: reporter.token });
    expect(seenPost.body.commentCount).to.equal(0);
    const stories = await api<unknown[]>(t.url, "GET", `/api/users/${author.username}/stories`, {
      token: reporter.token,
    });
    expect(JSON.stringify(stories.body)).to.not.include(story.body.id);
    const [removed] = await messagesOf(reporter, conversation);
    expect(removed).to.deep.include({ id: message.body.id, removed: true });
    expect(removed).to.not.have.property("text");
    expect(removed).to.not.have.property("media");
    await eventually(async () => (await status(messageFile)) === 404, "the message's photo stops");
    expect((await outcomes(reporter)).map((o) => o?.targetType)).to.have.members([
      "comment",
      "story",
      "message",
    ]);
  });

  it("suspends an author for a time, and dismisses a report leaving everything as it was", async () => {
    const [troll, reporter, bystander] = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
    const post = await createPost(t.url, bystander, "innocent");
    expect((await report(reporter, { type: "post", id: post.id, reason: "other" })).status).to.equal(201);
    const dismissed = await resolve(moderator, (await caseOf("post", post.id)).id, {
      action: "dismiss",
      reason: "nothing wrong",
    });
    expect(dismissed.status, dismissed.text).to.equal(200);
    expect((await api(t.url, "GET", `/api/posts/${post.id}`, { token: reporter.token })).status).to.equal(
      200,
    );
    expect(await outcomes(reporter)).to.deep.include({
      id: dismissed.body.id,
      targetType: "post",
      outcome: "dismissed",
    });
    // Decided, a target may be reported again: a new case.
    expect((await report(reporter, { type: "post", id: post.id, reason: "spam" })).status).to.equal(201);
    expect((await caseOf("post", post.id)).id).to.not.equal(dismissed.body.id);

    expect(
      (await report(reporter, { type: "account", id: troll.user.id, reason: "harassment" })).status,
    ).to.equal(201);
    const open = await caseOf("account", troll.user.id);
    const notRemovable = await resolve(moderator, open.id, { action: "remove", reason: "x" });
    expect([notRemovable.status, notRemovable.body.error?.code]).to.deep.equal([400, "VALIDATION_FAILED"]);
    const badUntil = await resolve(moderator, open.id, {
      action: "dismiss",
      reason: "x",
      until: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(badUntil.status).to.equal(400);
    const until = new Date(Date.now() + 24 * 3600_000).toISOString();
    const suspended = await resolve(moderator, open.id, { action: "suspend", reason: "harassment", until });
    expect(suspended.status, suspended.text).to.equal(200);
    expect(suspended.body.resolution).to.deep.include({ action: "suspend", until });
    expect(
      (await api(t.url, "GET", `/api/users/${troll.username}`, { token: reporter.token })).status,
    ).to.equal(404);
    expect((await api(t.url, "GET", "/api/me", { token: troll.token })).status).to.equal(401);
    expect(await outcomes(reporter)).to.deep.include({
      id: open.id,
      targetType: "account",
      outcome: "suspended",
    });
  });

  it("holds an account reported by three people within the hour out of search and trending until reviewed", async () => {
    const [target, co1, co2, fresh1, fresh2, fresh3, reader] = await Promise.all([
      signup(t.url),
      signup(t.url),
      signup(t.url),
      signup(t.url),
      signup(t.url),
      signup(t.url),
      signup(t.url),
    ]);
    // A day old and more: a new account's posts carry no trending weight on its first day.
    for (const old of [target, co1, co2]) {
      await store().put(users, { user_id: old.user.id, created_at: new Date(Date.now() - 25 * 3600_000) });
    }
    const reporters = await Promise.all([1, 2, 3, 4, 5].map(() => signup(t.url)));
    const word = uniqueName("held").replace(/[^a-z]/g, "");
    const [tag, freshTag] = [word.slice(0, 20), `${word.slice(0, 18)}fr`];
    const post = await createPost(t.url, target, `${word} everywhere #${tag}`);
    for (const author of [co1, co2]) await createPost(t.url, author, `me too #${tag}`);
    for (const author of [fresh1, fresh2, fresh3]) await createPost(t.url, author, `new here #${freshTag}`);
    const trending = async () => {
      await discovery.trending.compute();
      const res = await api<{ items: { tag: string }[] }>(t.url, "GET", "/api/tags/trending?limit=50", {
        token: reader.token,
      });
      return res.body.items.map((item) => item.tag);
    };
    const findsUser = async () =>
      (
        await api<Page<UserView>>(t.url, "GET", `/api/search?type=users&q=${target.username}`, {
          token: reader.token,
        })
      ).body.items.some((u) => u.id === target.user.id);
    const findsPost = async () =>
      (
        await api<Page<PostView>>(t.url, "GET", `/api/search?type=posts&q=${word}`, { token: reader.token })
      ).body.items.some((p) => p.id === post.id);
    await eventually(async () => (await findsUser()) && (await findsPost()), "searchable");
    expect(await trending())
      .to.include(tag)
      .and.not.include(freshTag);

    const [r1, r2, r3, r4, r5] = reporters as [Account, Account, Account, Account, Account];
    // Two reports two hours ago, then one now: one person within the hour.
    expect((await report(r1, { type: "account", id: target.user.id, reason: "spam" })).status).to.equal(201);
    expect((await report(r2, { type: "post", id: post.id, reason: "spam" })).status).to.equal(201);
    const received = await store().slice(reportsReceived, { user_id: target.user.id });
    for (const row of received.rows) {
      await store().put(reportsReceived, { ...row, created_at: new Date(Date.now() - 2 * 3600_000) });
    }
    expect((await report(r3, { type: "post", id: post.id, reason: "spam" })).status).to.equal(201);
    expect(await findsUser()).to.equal(true);
    // The same person again, on another target, is still one person; then a third within the hour holds it.
    expect((await report(r3, { type: "account", id: target.user.id, reason: "spam" })).status).to.equal(201);
    expect((await report(r4, { type: "post", id: post.id, reason: "scam" })).status).to.equal(201);
    expect(await findsUser()).to.equal(true);
    expect((await report(r5, { type: "account", id: target.user.id, reason: "scam" })).status).to.equal(201);
    expect(await findsUser()).to.equal(false);
    expect(await findsPost()).to.equal(false);
    expect(await trending()).to.not.include(tag);
    // Still shown where people already are: its profile and its post.
    expect((await api(t.url, "GET", `/api/posts/${post.id}`, { token: reader.token })).status).to.equal(200);
    expect(
      (await api(t.url, "GET", `/api/users/${target.username}`, { token: reader.token })).status,
    ).to.equal(200);

    // Reviewed (dismissed here): back in search and trending.
    const open = (await queue()).filter((c) => c.author?.id === target.user.id);
    expect(open).to.have.length(2);
    expect(
      (await resolve(moderator, open[0]?.id ?? "", { action: "dismiss", reason: "not spam" })).status,
    ).to.equal(200);
    expect(await findsUser()).to.equal(true);
    expect(await findsPost()).to.equal(true);
    expect(await trending()).to.include(tag);
  });
});
