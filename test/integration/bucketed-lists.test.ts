import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import type { UserView } from "../../lib/accounts/user-view";
import type { CommentView } from "../../lib/interactions/comments";
import { postComments, postLikers, savedPosts } from "../../lib/interactions/tables";
import { conversationMessages, userConversations } from "../../lib/inbox/tables";
import { followersList } from "../../lib/graph/tables";
import type { PostView } from "../../lib/posts/posts";
import { authorPosts } from "../../lib/posts/tables";
import type { BucketedList } from "../../lib/validation/bucketed-list";
import { listBuckets } from "../../lib/validation/bucketed-list";
import type { AnyTable } from "../../lib/store/schema";
import type { Page } from "../../lib/validation/page";
import { every } from "../../lib/validation/time-buckets";
import { createPost } from "../support/media";
import {
  api,
  signup,
  startTestNode,
  type Account,
  type ErrorBody,
  type TestNode,
} from "../support/test-node";

interface Conversation {
  id: string;
  members: UserView[];
}
interface Message {
  id: string;
  text?: string;
}

/** Buckets this small make a test's few items, a little over one apart, span many of them. */
const BUCKET_MS = 100;
const APART_MS = BUCKET_MS + 15;

/**
 * Issue #9: lists that grow with use are split into time buckets, one partition each. With 100 ms buckets (the
 * lists' bucketing swapped for the test, no config involved), a handful of likes, comments, follows, posts,
 * saves, conversations and messages span several buckets; every list still pages through the gateway newest first
 * (comments oldest first) without repeats or gaps, also while it grows, and refuses cursors that are not its own.
 */
describe("bucketed lists through the gateway (issue #9)", function () {
  this.timeout(180_000);
  let t: TestNode;
  const restores: (() => void)[] = [];
  let author: Account;
  let fans: Account[];
  let post: PostView;
  const conversationIds: string[] = [];
  let group: string;
  const groupMessages: string[] = [];
  const posts: PostView[] = [];

  const get = <T>(who: Account, route: string) => api<T>(t.url, "GET", route, { token: who.token });
  const call = <T = Record<string, unknown>>(who: Account, method: string, route: string, body?: unknown) =>
    api<T>(t.url, method, route, { token: who.token, ...(body !== undefined && { body }) });

  /** Every item of a list, page by page, running `between` after each page; checks the shape of each page. */
  async function pageAll<T>(
    who: Account,
    route: string,
    limit: number,
    between?: () => Promise<void>,
  ): Promise<{ items: T[]; pages: number; cursors: string[] }> {
    const items: T[] = [];
    const cursors: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = route.includes("?") ? "&" : "?";
      const res: { status: number; body: Page<T>; text: string } = await get<Page<T>>(
        who,
        `${route}${sep}limit=${limit}${cursor === null ? "" : `&cursor=${cursor}`}`,
      );
      expect(res.status, res.text).to.equal(200);
      expect(res.body.items.length).to.be.at.most(limit);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
      if (cursor !== null) cursors.push(cursor);
      pages++;
      if (between) await between();
    } while (cursor !== null);
    return { items, pages, cursors };
  }

  /** The buckets the store holds for the owner's list (its bucket index), and the rows of each. */
  async function bucketsOf<T extends AnyTable>(list: BucketedList<T>, owner: string): Promise<number[]> {
    const index = await t.node.app.store!.slice(
      listBuckets,
      { list: list.shape.name, owner_id: owner },
      { limit: 1000 },
    );
    return index.rows.map((r) => r.bucket);
  }

  /** Each bucket partition holds only rows whose position falls in that bucket. */
  async function expectRowsInTheirBuckets<T extends AnyTable>(
    list: BucketedList<T>,
    owner: string,
  ): Promise<number> {
    let rows = 0;
    for (const bucket of await bucketsOf(list, owner)) {
      const slice = await t.node.app.store!.slice(list.shape.table, list.shape.partition(owner, bucket), {
        limit: 1000,
      });
      for (const row of slice.rows) expect(list.bucketOf(list.shape.position(row)[0])).to.equal(bucket);
      rows += slice.rows.length;
    }
    return rows;
  }

  before(async () => {
    for (const list of [
      postLikers,
      postComments,
      savedPosts,
      authorPosts,
      userConversations,
      conversationMessages,
      followersList,
    ]) {
      restores.push(list.shape.buckets.use(every(BUCKET_MS)));
    }
    t = await startTestNode();
    author = await signup(t.url);
    fans = [];
    for (let i = 0; i < 7; i++) fans.push(await signup(t.url));
    post = await createPost(t.url, author, "bucketed");
    posts.push(post);
    group = (
      await call<Conversation>(author, "POST", "/api/conversations", {
        usernames: [fans[0]!.username, fans[1]!.username],
      })
    ).body.id;
    // One fan a bucket: a follow, a like, a comment, a conversation with a message, a message in the group.
    for (const fan of fans) {
      await sleep(APART_MS);
      expect((await call(fan, "POST", `/api/users/${author.username}/follow`)).status).to.equal(200);
      expect((await call(fan, "POST", `/api/posts/${post.id}/like`)).status).to.equal(200);
      expect(
        (await call(fan, "POST", `/api/posts/${post.id}/comments`, { text: `from ${fan.username}` })).status,
      ).to.equal(201);
      const opened = await call<Conversation>(author, "POST", "/api/conversations", {
        usernames: [fan.username],
      });
      conversationIds.push(opened.body.id);
      expect(
        (await call(author, "POST", `/api/conversations/${opened.body.id}/messages`, { text: "hi" })).status,
      ).to.equal(201);
      const sent = await call<Message>(author, "POST", `/api/conversations/${group}/messages`, {
        text: fan.username,
      });
      groupMessages.push(sent.body.id);
    }
    for (let i = 0; i < 3; i++) {
      await sleep(APART_MS);
      const made = await createPost(t.url, author, `more ${i}`);
      posts.push(made);
      expect((await call(fans[0]!, "POST", `/api/posts/${made.id}/save`)).status).to.equal(200);
    }
  });
  after(async () => {
    await t?.stop();
    for (const restore of restores.reverse()) restore();
  });

  it("pages a post's likers newest first across buckets, each bucket its own partition", async () => {
    const buckets = await bucketsOf(postLikers, post.id);
    expect(buckets.length).to.be.at.least(5);
    expect(await expectRowsInTheirBuckets(postLikers, post.id)).to.equal(fans.length);
    const newestFirst = fans.map((f) => f.username).reverse();
    for (const limit of [1, 2, 3, 7, 100]) {
      const { items, pages } = await pageAll<UserView>(author, `/api/posts/${post.id}/likes`, limit);
      expect(
        items.map((u) => u.username),
        `limit ${limit}`,
      ).to.deep.equal(newestFirst);
      expect(pages, `limit ${limit}`).to.equal(Math.ceil(fans.length / limit));
    }
  });

  it("pages likers without repeats or gaps while new likes arrive", async () => {
    const late: Account[] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    let i = 0;
    const { items } = await pageAll<UserView>(author, `/api/posts/${post.id}/likes`, 2, async () => {
      const next = late[i++];
      if (next === undefined) return;
      await sleep(APART_MS);
      expect((await call(next, "POST", `/api/posts/${post.id}/like`)).status).to.equal(200);
    });
    // The new likes are newer than the first page: the walk, already past them, neither shows nor repeats them.
    expect(items.map((u) => u.username)).to.deep.equal(fans.map((f) => f.username).reverse());
    const now = await pageAll<UserView>(author, `/api/posts/${post.id}/likes`, 3);
    expect(now.items.map((u) => u.username)).to.deep.equal(
      [...fans, ...late].map((f) => f.username).reverse(),
    );
    // And the likes of the late ones went into buckets of their own too.
    expect((await bucketsOf(postLikers, post.id)).length).to.be.at.least(8);
  });

  it("pages comments oldest first across buckets, reaching those added while it pages, once each", async () => {
    expect((await bucketsOf(postComments, post.id)).length).to.be.at.least(5);
    expect(await expectRowsInTheirBuckets(postComments, post.id)).to.equal(fans.length);
    const texts = fans.map((f) => `from ${f.username}`);
    for (const limit of [1, 2, 3, 7]) {
      const { items } = await pageAll<CommentView>(author, `/api/posts/${post.id}/comments`, limit);
      expect(
        items.map((c) => c.text),
        `limit ${limit}`,
      ).to.deep.equal(texts);
    }
    const added: string[] = [];
    const { items } = await pageAll<CommentView>(author, `/api/posts/${post.id}/comments`, 2, async () => {
      if (added.length >= 3) return;
      await sleep(APART_MS);
      const text = `late ${added.length}`;
      expect(
        (await call(fans[added.length]!, "POST", `/api/posts/${post.id}/comments`, { text })).status,
      ).to.equal(201);
      added.push(text);
    });
    expect(items.map((c) => c.text)).to.deep.equal([...texts, ...added]);
  });

  it("pages the conversations list across buckets, most recent first, while new conversations arrive", async () => {
    expect((await bucketsOf(userConversations, author.user.id)).length).to.be.at.least(5);
    expect(await expectRowsInTheirBuckets(userConversations, author.user.id)).to.equal(fans.length + 1);
    // The group's last message came after each fan's own conversation got its message.
    const expected = [group, ...[...conversationIds].reverse()];
    for (const limit of [1, 2, 3, 8]) {
      const { items } = await pageAll<Conversation>(author, "/api/conversations", limit);
      expect(
        items.map((c) => c.id),
        `limit ${limit}`,
      ).to.deep.equal(expected);
    }
    const newcomers: string[] = [];
    const { items } = await pageAll<Conversation>(author, "/api/conversations", 3, async () => {
      if (newcomers.length >= 2) return;
      await sleep(APART_MS);
      const stranger = await signup(t.url);
      newcomers.push(
        (await call<Conversation>(stranger, "POST", "/api/conversations", { usernames: [author.username] }))
          .body.id,
      );
    });
    expect(items.map((c) => c.id)).to.deep.equal(expected);
    const now = await pageAll<Conversation>(author, "/api/conversations", 2);
    expect(now.items.map((c) => c.id)).to.deep.equal([...newcomers.reverse(), ...expected]);
  });

  it("pages a conversation's messages, a user's followers, posts and saved posts across buckets", async () => {
    expect((await bucketsOf(conversationMessages, group)).length).to.be.at.least(5);
    const messages = await pageAll<Message>(fans[0]!, `/api/conversations/${group}/messages`, 2);
    expect(messages.items.map((m) => m.id)).to.deep.equal([...groupMessages].reverse());

    expect((await bucketsOf(followersList, author.user.id)).length).to.be.at.least(5);
    const followers = await pageAll<UserView>(fans[2]!, `/api/users/${author.username}/followers`, 3);
    expect(followers.items.map((u) => u.username)).to.deep.equal(fans.map((f) => f.username).reverse());

    expect((await bucketsOf(authorPosts, author.user.id)).length).to.be.at.least(3);
    const own = await pageAll<PostView>(fans[1]!, `/api/users/${author.username}/posts`, 1);
    expect(own.items.map((p) => p.id)).to.deep.equal(posts.map((p) => p.id).reverse());

    expect((await bucketsOf(savedPosts, fans[0]!.user.id)).length).to.be.at.least(3);
    const saved = await pageAll<PostView>(fans[0]!, "/api/me/saved", 2);
    expect(saved.items.map((p) => p.id)).to.deep.equal(
      posts
        .slice(1)
        .map((p) => p.id)
        .reverse(),
    );
  });

  it("refuses a cursor of another list, of another owner's list, or altered, with 400 INVALID_CURSOR", async () => {
    const other = posts[1]!;
    await call(fans[0]!, "POST", `/api/posts/${other.id}/like`);
    const likes = (await get<Page<UserView>>(author, `/api/posts/${post.id}/likes?limit=1`)).body.nextCursor!;
    const comments = (await get<Page<CommentView>>(author, `/api/posts/${post.id}/comments?limit=1`)).body
      .nextCursor!;
    const conversations = (await get<Page<Conversation>>(author, "/api/conversations?limit=1")).body
      .nextCursor!;
    const bytes = Buffer.from(likes, "base64url");
    bytes[bytes.length - 1]! ^= 1;
    for (const route of [
      `/api/posts/${other.id}/likes?cursor=${likes}`,
      `/api/posts/${post.id}/comments?cursor=${likes}`,
      `/api/posts/${post.id}/likes?cursor=${comments}`,
      `/api/posts/${post.id}/likes?cursor=${bytes.toString("base64url")}`,
      `/api/conversations/${group}/messages?cursor=${conversations}`,
      `/api/users/${author.username}/followers?cursor=${likes}`,
      `/api/me/saved?cursor=${conversations}`,
    ]) {
      const res = await get<ErrorBody>(author, route);
      expect([res.status, res.body.error?.code], route).to.deep.equal([400, "INVALID_CURSOR"]);
    }
  });
});
