import { expect } from "chai";
import { apiRoutes } from "../../services/gateway/routes";
import { adminCommands, callAsOperator } from "../../broker/admin-commands";
import { actAs } from "../../broker/operator";
import { call } from "../../broker/calls";
import { userCounts } from "../../lib/accounts/tables";
import {
  authorComments,
  authorCommentsByTime,
  likedPosts,
  postSavers,
  likes,
  postCounts,
  userLikesByTime,
} from "../../lib/interactions/tables";
import { homeTimeline, timeline } from "../../lib/timeline/tables";
import { closeFriendOf, mutedBy } from "../../lib/graph/tables";
import type { WideRowStore } from "../../lib/store/store";
import {
  api,
  ManualClock,
  signup,
  startTestNode,
  uniqueName,
  type Account,
  type TestNode,
} from "../support/test-node";
import { createPost, uploadPhoto } from "../support/media";
import { eventually } from "../support/eventually";
import { printed } from "../support/repl";

type Command = ReturnType<typeof adminCommands>[number];

const ADMIN_ROUTES = Object.entries(apiRoutes).filter(([route]) =>
  route.split(" ")[1]?.startsWith("/admin/"),
);

/** A route's path with its parameters filled in with something that parses. */
function concrete(route: string, user: string): { method: string; path: string } {
  const [method = "", template = ""] = route.split(" ");
  const path = template
    .replace(":user", user)
    .replace(":id", "123")
    .replace(":mediaId", "123")
    .replace(":nodeId", "some-node");
  return { method, path: `/api${path}` };
}

describe("the admin API and the operator's console", () => {
  const clock = new ManualClock();
  let t: TestNode;
  let store: WideRowStore;
  let root: Account;
  const commands = () => adminCommands(() => t.node.app.callerProofs);
  const command = (name: string): Command => {
    const found = commands().find((c) => c.command.split(" ")[0] === name);
    if (!found) throw new Error(`no REPL command ${name}`);
    return found;
  };
  const asAdmin = (method: string, path: string, body?: unknown) =>
    api(t.url, method, `/api/admin${path}`, { token: root.token, ...(body !== undefined && { body }) });

  before(async () => {
    t = await startTestNode({}, { now: clock.now });
    if (!t.node.app.store) throw new Error("no store");
    store = t.node.app.store;
    root = await signup(t.url);
    const granted = await printed(command("grant-role"), t.node.broker, {
      user: root.username,
      role: "admin",
    });
    expect(granted.join("\n")).to.include("role: admin");
  });
  after(() => t.stop());

  it("lists its routes, and answers 401 without a token and 403 to an account without the role on each", async () => {
    expect(ADMIN_ROUTES.length).to.be.greaterThanOrEqual(11);
    const plain = await signup(t.url);
    for (const [route, { action }] of ADMIN_ROUTES) {
      const { method, path } = concrete(route, plain.username);
      // Valid params, so that it is the role that is refused, not the input.
      const body =
        route.endsWith("/suspension") && method === "POST"
          ? { reason: "spam" }
          : route.endsWith("/resolve")
            ? { action: "dismiss", reason: "fine" }
            : undefined;
      const anonymous = await api(t.url, method, path, body === undefined ? {} : { body });
      expect(anonymous.status, `${route} without a token`).to.equal(401);
      const refused = await api<{ error: { code: string } }>(t.url, method, path, {
        token: plain.token,
        ...(body !== undefined && { body }),
      });
      expect(refused.status, `${route} as a plain account`).to.equal(403);
      // Moderation lets moderators in too, and says so.
      const code = action.startsWith("moderation.") ? "NOT_MODERATOR" : "NOT_ADMIN";
      expect(refused.body.error.code, route).to.equal(code);
    }
  });

  it("looks a user up by username, id or email, and 404s one that does not exist", async () => {
    const ada = await signup(t.url);
    for (const given of [ada.username, ada.user.id, `${ada.username}@example.com`]) {
      const found = await asAdmin("GET", `/users/${encodeURIComponent(given)}`);
      expect(found.status, given).to.equal(200);
      expect(found.body).to.include({
        id: ada.user.id,
        username: ada.username,
        role: null,
        suspension: null,
      });
      expect(found.body.sessions).to.equal(1);
    }
    const missing = await asAdmin("GET", `/users/${uniqueName("nobody")}`);
    expect(missing.status).to.equal(404);
  });

  it("suspends an account: signed out, refused at sign-in, hidden everywhere; lifted, all comes back", async () => {
    const villain = await signup(t.url);
    const fan = await signup(t.url);
    const other = await signup(t.url);
    expect(
      (await api(t.url, "POST", `/api/users/${villain.username}/follow`, { token: fan.token })).status,
    ).to.equal(200);
    const post = await createPost(t.url, villain, "look at me");
    const theirs = await createPost(t.url, other, "a quiet post");
    const comment = await api(t.url, "POST", `/api/posts/${theirs.id}/comments`, {
      token: villain.token,
      body: { text: "spam spam" },
    });
    expect(comment.status).to.equal(201);
    await eventually(async () => {
      const feed = await api<{ items: { id: string }[] }>(t.url, "GET", "/api/feed", { token: fan.token });
      return feed.body.items.some((p) => p.id === post.id);
    }, "the post in the fan's feed");

    const suspended = await asAdmin("POST", `/users/${villain.username}/suspension`, { reason: "spam" });
    expect(suspended.status, suspended.text).to.equal(200);
    expect(suspended.body).to.deep.include({ suspension: { until: null, reason: "spam" }, sessions: 0 });

    expect((await api(t.url, "GET", "/api/me", { token: villain.token })).status).to.equal(401);
    const login = await api<{ error: { code: string } }>(t.url, "POST", "/api/auth/login", {
      body: { login: villain.username, password: villain.password },
    });
    expect(login.status).to.equal(403);
    expect(login.body.error.code).to.equal("ACCOUNT_SUSPENDED");
    const wrong = await api(t.url, "POST", "/api/auth/login", {
      body: { login: villain.username, password: "not the password" },
    });
    expect(wrong.status, "a wrong password learns nothing of the suspension").to.equal(401);

    expect((await api(t.url, "GET", `/api/users/${villain.username}`, { token: fan.token })).status).to.equal(
      404,
    );
    expect((await api(t.url, "GET", `/api/posts/${post.id}`, { token: fan.token })).status).to.equal(404);
    const feed = await api<{ items: { id: string }[] }>(t.url, "GET", "/api/feed", { token: fan.token });
    expect(feed.body.items.map((p) => p.id)).not.to.include(post.id);
    const comments = await api<{ items: { text: string }[] }>(
      t.url,
      "GET",
      `/api/posts/${theirs.id}/comments`,
      {
        token: other.token,
      },
    );
    expect(comments.body.items.map((c) => c.text)).not.to.include("spam spam");

    const lifted = await asAdmin("DELETE", `/users/${villain.username}/suspension`);
    expect(lifted.status).to.equal(200);
    expect(lifted.body.suspension).to.equal(null);
    const back = await api(t.url, "POST", "/api/auth/login", {
      body: { login: villain.username, password: villain.password },
    });
    expect(back.status).to.equal(200);
    expect((await api(t.url, "GET", `/api/posts/${post.id}`, { token: fan.token })).status).to.equal(200);

    const audit = await asAdmin("GET", "/audit?limit=50");
    const rows = (
      audit.body.items as { operator: string; command: string; targetUser: string; outcome: string }[]
    ).filter((row) => row.targetUser === `${villain.username} (${villain.user.id})`);
    expect(rows.map((row) => `${row.command} ${row.outcome}`)).to.deep.equal(["unsuspend ok", "suspend ok"]);
    expect(rows[0]?.operator).to.equal(`admin ${root.username} (${root.user.id})`);
  });

  it("a suspension for a time ends by itself", async () => {
    const ada = await signup(t.url);
    const until = new Date(clock.now() + 3_600_000).toISOString();
    const res = await asAdmin("POST", `/users/${ada.username}/suspension`, { reason: "cool off", until });
    expect(res.status, res.text).to.equal(200);
    expect(res.body.suspension).to.deep.equal({ until, reason: "cool off" });
    const login = () =>
      api(t.url, "POST", "/api/auth/login", { body: { login: ada.username, password: ada.password } });
    expect((await login()).status).to.equal(403);
    clock.advance(3_600_001);
    expect((await login()).status).to.equal(200);
    const past = await asAdmin("POST", `/users/${ada.username}/suspension`, {
      reason: "too late",
      until: new Date(clock.now() - 1000).toISOString(),
    });
    expect(past.status).to.equal(400);
  });

  it("revokes every session of an account at once", async () => {
    const ada = await signup(t.url);
    const second = await api<{ token: string }>(t.url, "POST", "/api/auth/login", {
      body: { login: ada.username, password: ada.password },
    });
    for (const token of [ada.token, second.body.token]) {
      expect((await api(t.url, "GET", "/api/me", { token })).status).to.equal(200);
    }
    const res = await asAdmin("DELETE", `/users/${ada.username}/sessions`);
    expect(res.body).to.deep.equal({ revoked: 2 });
    for (const token of [ada.token, second.body.token]) {
      expect((await api(t.url, "GET", "/api/me", { token })).status).to.equal(401);
    }
  });

  it("recounts a user's and a post's counters from the rows", async () => {
    const ada = await signup(t.url);
    const bob = await signup(t.url);
    await api(t.url, "POST", `/api/users/${ada.username}/follow`, { token: bob.token });
    const post = await createPost(t.url, ada);
    await api(t.url, "POST", `/api/posts/${post.id}/like`, { token: bob.token });
    // Drift such as a crash between a row and its counter leaves.
    await store.increment(userCounts, { user_id: ada.user.id }, { followers: 5, posts: -1 });
    await store.increment(postCounts, { post_id: post.id }, { likes: 7, comments: 3 });

    const user = await asAdmin("POST", `/users/${ada.username}/recount`);
    expect(user.body).to.deep.equal({ followers: 1, following: 0, posts: 1 });
    const profile = await api<{ counts: unknown }>(t.url, "GET", `/api/users/${ada.username}`, {
      token: bob.token,
    });
    expect(profile.body.counts).to.deep.equal({ followers: 1, following: 0, posts: 1 });

    const counts = await asAdmin("POST", `/posts/${post.id}/recount`);
    expect(counts.body).to.deep.equal({ likes: 1, comments: 0 });
    const seen = await api<{ likeCount: number; commentCount: number }>(
      t.url,
      "GET",
      `/api/posts/${post.id}`,
      {
        token: bob.token,
      },
    );
    expect([seen.body.likeCount, seen.body.commentCount]).to.deep.equal([1, 0]);
  });

  it("rebuilds a timeline that lost its rows", async () => {
    const author = await signup(t.url);
    const reader = await signup(t.url);
    await api(t.url, "POST", `/api/users/${author.username}/follow`, { token: reader.token });
    const posts = [await createPost(t.url, author, "one"), await createPost(t.url, author, "two")];
    const feedIds = async () =>
      (
        await api<{ items: { id: string }[] }>(t.url, "GET", "/api/feed", { token: reader.token })
      ).body.items.map((p) => p.id);
    await eventually(async () => (await feedIds()).length === 2, "both posts in the feed");
    // A store restored from a backup older than the posts: the timeline's rows are gone.
    const rows = await homeTimeline.first(store, reader.user.id, { limit: 100 });
    for (const row of rows) await store.delete(timeline, row);
    t.node.app.timeline?.timelines.forgetAll();
    expect(await feedIds()).to.deep.equal([]);

    const rebuilt = await asAdmin("POST", `/users/${reader.username}/timeline/rebuild`);
    expect(rebuilt.body).to.deep.equal({ authors: 2, entries: 2 });
    expect(await feedIds()).to.deep.equal(posts.map((p) => p.id).reverse());
  });

  it("lists media whose transcoding failed and sends one again", async () => {
    const ada = await signup(t.url);
    const media = await uploadPhoto(t.url, ada);
    const library = t.node.app.media?.library;
    if (!library) throw new Error("no media library");
    const row = await library.find(media.id);
    if (!row?.original_key) throw new Error("no original");
    await library.recordFailure(
      { mediaId: media.id, ownerId: ada.user.id, kind: "image", originalKey: row.original_key },
      "ffmpeg exited with code 1",
    );
    const failed = await asAdmin("GET", "/transcodes/failed");
    expect(failed.body.items).to.deep.include.members([
      {
        mediaId: media.id,
        ownerId: ada.user.id,
        kind: "image",
        reason: "ffmpeg exited with code 1",
        failedAt: new Date(clock.now()).toISOString(),
      },
    ]);
    const lines = await printed(command("transcode-failed"), t.node.broker, { options: {} });
    expect(lines.join("\n")).to.include(`image ${media.id} of ${ada.user.id}: ffmpeg exited with code 1`);

    const retried = await asAdmin("POST", `/transcodes/${media.id}/retry`);
    expect(retried.status, retried.text).to.equal(200);
    expect(retried.body.status).to.equal("processing");
    await eventually(
      async () =>
        (await api<{ status: string }>(t.url, "GET", `/api/media/${media.id}`, { token: ada.token })).body
          .status === "ready",
      "the media ready again",
    );
    const after = await asAdmin("GET", "/transcodes/failed");
    expect((after.body.items as { mediaId: string }[]).map((i) => i.mediaId)).not.to.include(media.id);
    const again = await asAdmin("POST", `/transcodes/${media.id}/retry`);
    expect(again.status).to.equal(409);
  });

  it("lists likes and comments made before the activity lists existed, once backfilled, and twice changes nothing", async () => {
    const [author, fan] = [await signup(t.url), await signup(t.url)];
    const post = await createPost(t.url, author, "old times");
    expect((await api(t.url, "POST", `/api/posts/${post.id}/like`, { token: fan.token })).status).to.equal(
      200,
    );
    const said = await api<{ id: string }>(t.url, "POST", `/api/posts/${post.id}/comments`, {
      token: fan.token,
      body: { text: "from long ago" },
    });
    // As data written before the lists existed: their rows are not there.
    const like = await store.get(likes, { user_id: fan.user.id, post_id: post.id });
    await store.delete(userLikesByTime, {
      ...likedPosts.partitionOf(fan.user.id, like?.like_id ?? ""),
      like_id: like?.like_id ?? "",
      post_id: post.id,
    });
    await store.delete(authorCommentsByTime, {
      ...authorComments.partitionOf(fan.user.id, said.body.id),
      comment_id: said.body.id,
    });
    // And the reverse lists an erasure walks, for a save, a mute and a close friend made then.
    expect((await api(t.url, "POST", `/api/posts/${post.id}/save`, { token: fan.token })).status).to.equal(
      200,
    );
    expect(
      (await api(t.url, "POST", `/api/users/${author.username}/mute`, { token: fan.token, body: {} })).status,
    ).to.equal(200);
    expect(
      (await api(t.url, "PUT", `/api/me/close-friends/${author.username}`, { token: fan.token })).status,
    ).to.be.within(200, 204);
    const reverse = [
      () => store.get(postSavers, { post_id: post.id, user_id: fan.user.id }),
      () => store.get(mutedBy, { user_id: author.user.id, muter_id: fan.user.id }),
      () => store.get(closeFriendOf, { user_id: author.user.id, owner_id: fan.user.id }),
    ];
    await store.delete(postSavers, { post_id: post.id, user_id: fan.user.id });
    await store.delete(mutedBy, { user_id: author.user.id, muter_id: fan.user.id });
    await store.delete(closeFriendOf, { user_id: author.user.id, owner_id: fan.user.id });
    const activity = async () => ({
      liked: (
        await api<{ items: { id: string }[] }>(t.url, "GET", "/api/me/liked", { token: fan.token })
      ).body.items.map((p) => p.id),
      comments: (
        await api<{ items: { id: string }[] }>(t.url, "GET", "/api/me/comments", { token: fan.token })
      ).body.items.map((c) => c.id),
    });
    expect(await activity()).to.deep.equal({ liked: [], comments: [] });
    for (let run = 0; run < 2; run++) {
      const done = await asAdmin("POST", "/activity/backfill");
      expect(done.status, done.text).to.equal(200);
      expect(done.body.likes).to.be.at.least(1);
      expect(done.body.comments).to.be.at.least(1);
      expect(done.body.saves).to.be.at.least(1);
      expect(done.body.indexed).to.be.at.least(2);
      expect(await activity()).to.deep.equal({ liked: [post.id], comments: [said.body.id] });
      for (const row of reverse) expect(await row()).to.not.equal(undefined);
    }
  });

  it("runs the erasure of deleted accounts on demand, from the API and the console, audited", async () => {
    const run = await asAdmin("POST", "/erasures/run");
    expect(run.status, run.text).to.equal(200);
    expect(run.body).to.deep.equal({ erased: 0 });
    expect(await printed(command("erase-due"), t.node.broker, { options: {} })).to.deep.equal([
      "0 account(s) erased",
    ]);
    const audit = await asAdmin("GET", "/audit?limit=50");
    const commands = (audit.body.items as { command: string; outcome: string }[])
      .filter((row) => row.command === "erase-due")
      .map((row) => row.outcome);
    expect(commands).to.deep.equal(["ok", "ok"]);
  });

  it("the console's commands print one line for an unknown user and refuse what is not theirs to do", async () => {
    const nobody = uniqueName("nobody");
    for (const name of ["lookup", "unsuspend", "revoke-sessions", "recount-user", "rebuild-timeline"]) {
      const lines = await printed(command(name), t.node.broker, { user: nobody, options: {} });
      expect(lines, name).to.deep.equal([`error 404 USER_NOT_FOUND: no user "${nobody}"`]);
    }
    const ada = await signup(t.url);
    expect(
      await printed(command("suspend"), t.node.broker, { user: ada.username, options: {} }),
    ).to.deep.equal(["--reason is required"]);
    const suspended = await printed(command("suspend"), t.node.broker, {
      user: ada.username,
      options: { reason: "spam", for: "2h" },
    });
    expect(suspended.join("\n")).to.match(/suspended until \S+ \(spam\)/);
    expect(
      await printed(command("grant-role"), t.node.broker, { user: ada.username, role: "god" }),
    ).to.deep.equal(["role god: admin, moderator or none"]);
    // An admin's token cannot grant roles: that is the console's alone.
    const outcome = await actAs(t.node.broker, t.node.app.callerProofs, {
      user: root.username,
      action: "admin.setRole",
      params: { user: ada.username, role: "admin" },
      operator: "test@console",
    });
    expect(outcome.error?.message).to.match(/console/);
    expect(await printed(command("drain"), t.node.broker, { nodeId: "no-such-node" })).to.deep.equal([
      'error 404 NODE_NOT_FOUND: no node "no-such-node" that can be drained',
    ]);
  });

  it("refuses an operator's meta without a valid proof, and a call with neither caller nor operator", async () => {
    const forged = t.node.broker.call(
      "admin.lookup",
      { user: root.username },
      { meta: { operator: { name: "mallory@nowhere", proof: "v1.99999999999999.AAAA" } } },
    );
    await forged.then(
      () => expect.fail("a forged operator was served"),
      (err: { code?: number; type?: string }) =>
        expect([err.code, err.type]).to.deep.equal([401, "UNPROVEN_CALLER"]),
    );
    await call(t.node.broker, "admin.lookup", { user: root.username }).then(
      () => expect.fail("a call naming nobody was served"),
      (err: { code?: number }) => expect(err.code).to.equal(401),
    );
    const found = await callAsOperator(t.node.broker, t.node.app.callerProofs, "admin.lookup", {
      user: root.username,
    });
    expect(found.role).to.equal("admin");
  });
});

describe("draining a node by name", () => {
  it("stops the node as SIGTERM does, after answering", async () => {
    const t = await startTestNode();
    try {
      const root = await signup(t.url);
      await callAsOperator(t.node.broker, t.node.app.callerProofs, "admin.setRole", {
        user: root.username,
        role: "admin",
      });
      const res = await api(t.url, "POST", `/api/admin/nodes/${t.node.broker.nodeID}/drain`, {
        token: root.token,
      });
      expect(res.status, res.text).to.equal(202);
      expect(res.body).to.deep.equal({ nodeId: t.node.broker.nodeID, draining: true });
      await eventually(() => Promise.resolve(!t.node.broker.started), "the broker stopped");
      const after = await fetch(`${t.url}/health/ready`).then(
        (r) => r.status,
        () => "refused",
      );
      expect(after).to.equal("refused");
    } finally {
      await t.stop();
    }
  });
});
