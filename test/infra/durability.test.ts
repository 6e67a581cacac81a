import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { freePort } from "../support/free-port";
import type { UserView } from "../../lib/accounts/user-view";
import { accountTables, userCounts } from "../../lib/accounts/tables";
import { FsBlobStore } from "../../lib/blobs/fs";
import { followers, following, graphTables } from "../../lib/graph/tables";
import type { ConversationView, MessageView } from "../../lib/inbox/views";
import type { CommentView } from "../../lib/interactions/comments";
import { interactionTables, likes, postCounts } from "../../lib/interactions/tables";
import type { MediaView } from "../../lib/media-library/media-view";
import { JOB_SHARDS, media, mediaTables, transcodeJobs } from "../../lib/media-library/tables";
import type { PostView } from "../../lib/posts/posts";
import { postAuthors, postTables } from "../../lib/posts/tables";
import { LevelStore } from "../../lib/store/level";
import { NodeProcesses, type NodeProcess } from "../support/node-processes";
import { api as rawApi, type JsonResponse } from "../support/test-node";

/**
 * Issue #9, "acknowledged means durable": an embedded node (one process, LevelDB and files under its DATA_DIR)
 * takes a mix of writes from several concurrent clients and is SIGKILLed at a random moment; restarted on the
 * same DATA_DIR, every write it answered 2xx must be there, as a user reads it through the API, and nothing
 * half-made may be visible (a post without its media, a like counted but not listed, a follower count that is
 * not the length of the list, a message whose conversation does not show it). The one request in flight per
 * client at the kill may or may not have landed; if it did, it must be whole.
 *
 * Every random choice (what each client writes, when the node is killed) comes from one seed, printed; replay
 * with DURABILITY_SEED=<seed> (the interleaving of concurrent requests, and so the exact kill point, still
 * varies). DURABILITY_ROUNDS sets the number of kills (5 by default).
 *
 * After the last round the node is stopped and the store is read directly (lib/store LevelStore and the blob
 * files on the same DATA_DIR): counters against the rows they count, and every post's media and originals.
 */

const ROOT = path.resolve(__dirname, "../..");
const CLIENTS = 6;
const ROUNDS = Number(process.env.DURABILITY_ROUNDS ?? 5);
const SEED = Number(process.env.DURABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error("DURABILITY_ROUNDS takes a positive integer");
if (!Number.isInteger(SEED) || SEED < 0) throw new Error("DURABILITY_SEED takes a non-negative integer");
const PASSWORD = "correct horse battery";
const PAGE = 100;

// ---------------------------------------------------------------------------------------------------------------
// A seeded generator (mulberry32): the same seed makes the same choices.

class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  /** A generator of its own for a sub-task, still determined by this one's seed. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 2 ** 32));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What the clients were told: the model the verification checks the node against.

interface User {
  id: string;
  username: string;
  token: string;
  /** The client that writes as this user: one client per user, so one user's writes never race each other. */
  client: number;
}

/** `acked`: answered 2xx; otherwise found after a kill, landed from a request in flight. */
interface Post {
  id: string;
  authorId: string;
  mediaIds: string[];
  acked: boolean;
}

interface Comment {
  id: string;
  postId: string;
  authorId: string;
  acked: boolean;
}

interface Message {
  id: string;
  conversationId: string;
  senderId: string;
  acked: boolean;
}

interface Conversation {
  id: string;
  memberIds: [string, string];
}

/** A follow (actor follows target) or a like (actor likes target post): the last acknowledged state. */
interface Toggle {
  kind: "follow" | "like";
  actorId: string;
  targetId: string;
  on: boolean;
  /** The state asked by a request that got no answer (the kill): either state may be there. */
  asked?: boolean;
}

type AckKind =
  | "signup"
  | "media"
  | "post"
  | "follow"
  | "unfollow"
  | "like"
  | "unlike"
  | "comment"
  | "conversation"
  | "message";

interface Ack {
  kind: AckKind;
  round: number;
  /** What to look up: a user, media, post, comment, conversation or message id, or a toggle's key. */
  ref: string;
}

class Model {
  readonly users = new Map<string, User>();
  readonly media = new Map<string, { id: string; ownerId: string }>();
  readonly posts = new Map<string, Post>();
  readonly comments = new Map<string, Comment>();
  readonly conversations = new Map<string, Conversation>();
  readonly messages = new Map<string, Message>();
  readonly toggles = new Map<string, Toggle>();
  readonly acks: Ack[] = [];
  /** Sign-ups that got no answer: they may exist, whole. */
  readonly unansweredSignups: string[] = [];
  /** Requests answered with something else than 2xx, refusals for overload aside: none are expected. */
  readonly unexpected: string[] = [];

  usersOf(client: number): User[] {
    return [...this.users.values()].filter((u) => u.client === client);
  }

  user(id: string): User {
    const user = this.users.get(id);
    if (user === undefined) throw new Error(`unknown user ${id}`);
    return user;
  }

  toggle(kind: Toggle["kind"], actorId: string, targetId: string): Toggle {
    const key = toggleKey(kind, actorId, targetId);
    let t = this.toggles.get(key);
    if (t === undefined) {
      t = { kind, actorId, targetId, on: false };
      this.toggles.set(key, t);
    }
    return t;
  }

  conversationOf(a: string, b: string): Conversation | undefined {
    return this.conversations.get(pairKey(a, b));
  }
}

function toggleKey(kind: Toggle["kind"], actorId: string, targetId: string): string {
  return `${kind}:${actorId}:${targetId}`;
}

function pairKey(a: string, b: string): string {
  return [a, b].sort().join(":");
}

// ---------------------------------------------------------------------------------------------------------------
// The writers.

/** The wait before sending a refused request again: the front door's Retry-After (1 s). */
const OVERLOADED_RETRY_MS = 1_000;
/** Requests the front door refused as overloaded, each sent again. */
let refusedAsOverloaded = 0;

/**
 * Sends a request until the front door admits it. A 503 OVERLOADED is a refusal before any of the request ran (a
 * busy machine: CI runs this beside Cassandra and OpenSearch), so it is sent again after its Retry-After, as a
 * client does; it is neither acknowledged nor lost.
 */
async function admitted<R extends { status: number; text: string }>(request: () => Promise<R>): Promise<R> {
  for (;;) {
    const answer = await request();
    if (answer.status !== 503 || !isOverloaded(answer.text)) return answer;
    refusedAsOverloaded++;
    await new Promise((r) => setTimeout(r, OVERLOADED_RETRY_MS));
  }
}

function isOverloaded(text: string): boolean {
  try {
    return (JSON.parse(text) as { error?: { code?: unknown } }).error?.code === "OVERLOADED";
  } catch {
    return false;
  }
}

/** The test's API calls, writes and reads alike, each admitted. */
function api<T>(...args: Parameters<typeof rawApi>): Promise<JsonResponse<T>> {
  return admitted(() => rawApi<T>(...args));
}

/** An error thrown by fetch itself: no answer came (connection refused or reset by the kill). */
class NoAnswer extends Error {}

async function call<T>(
  url: string,
  method: string,
  route: string,
  options: { token?: string; body?: unknown } = {},
): Promise<JsonResponse<T>> {
  try {
    return await api<T>(url, method, route, options);
  } catch (error: unknown) {
    throw new NoAnswer(error instanceof Error ? error.message : String(error));
  }
}

let photo: Buffer | undefined;

async function upload(
  url: string,
  token: string,
): Promise<{ status: number; media?: MediaView; text: string }> {
  photo ??= await readFile(path.join(ROOT, "test/fixtures/image.png"));
  const form = new FormData();
  // Bytes of its own each time, so that deduplication by content does not make two uploads one original.
  form.append(
    "file",
    new Blob([photo, Buffer.from(Math.random().toString())], { type: "image/png" }),
    "a.png",
  );
  const { status, text } = await admitted(async () => {
    try {
      const res = await fetch(`${url}/api/media`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      return { status: res.status, text: await res.text() };
    } catch (error: unknown) {
      throw new NoAnswer(error instanceof Error ? error.message : String(error));
    }
  });
  return status === 201 ? { status, media: JSON.parse(text) as MediaView, text } : { status, text };
}

/** One round of load: CLIENTS writers until the node stops answering. */
class Load {
  private stopped = false;
  private nameCounter = 0;
  readonly inFlight = new Map<number, string>();

  constructor(
    private readonly model: Model,
    private readonly url: string,
    private readonly round: number,
    private readonly rng: Rng,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<void> {
    const clients = Array.from({ length: CLIENTS }, (_, c) => this.client(c, this.rng.fork()));
    await Promise.all(clients);
  }

  private async client(c: number, rng: Rng): Promise<void> {
    let signups = 0;
    while (!this.stopped) {
      const mine = this.model.usersOf(c);
      const roll = rng.next();
      try {
        if (mine.length === 0 || (signups === 0 && roll < 0.02)) {
          signups++;
          await this.signup(c, rng);
          continue;
        }
        const actor = rng.pick(mine);
        const op = rng.int(0, 14);
        if (op < 3) await this.follow(c, actor, rng);
        else if (op < 5) await this.post(c, actor, rng);
        else if (op < 9) await this.like(c, actor, rng);
        else if (op < 11) await this.comment(c, actor, rng);
        else await this.message(c, actor, rng);
      } catch (error: unknown) {
        if (error instanceof NoAnswer) return; // the node is gone: this client's round is over
        throw error;
      }
    }
  }

  private ack(kind: AckKind, ref: string): void {
    this.model.acks.push({ kind, round: this.round, ref });
  }

  private unexpected(what: string, res: { status: number; text: string }): void {
    this.model.unexpected.push(
      `round ${this.round}: ${what} answered ${res.status} ${res.text.slice(0, 200)}`,
    );
  }

  /** Runs one request, noting it as this client's request in flight until it is answered. */
  private async send<T>(c: number, what: string, request: () => Promise<T>): Promise<T> {
    this.inFlight.set(c, what);
    const answer = await request();
    this.inFlight.delete(c);
    return answer;
  }

  private async signup(c: number, rng: Rng): Promise<void> {
    const username = `r${this.round}c${c}n${this.nameCounter++}_${rng.int(0, 1e6).toString(36)}`;
    this.model.unansweredSignups.push(username);
    const res = await this.send(c, `signup ${username}`, () =>
      call<{ token: string; user: UserView }>(this.url, "POST", "/api/auth/signup", {
        body: { username, email: `${username}@example.com`, password: PASSWORD },
      }),
    );
    this.model.unansweredSignups.splice(this.model.unansweredSignups.indexOf(username), 1);
    if (res.status !== 201) return this.unexpected(`signup ${username}`, res);
    this.model.users.set(res.body.user.id, {
      id: res.body.user.id,
      username,
      token: res.body.token,
      client: c,
    });
    this.ack("signup", res.body.user.id);
  }

  private async follow(c: number, actor: User, rng: Rng): Promise<void> {
    const others = [...this.model.users.values()].filter((u) => u.id !== actor.id);
    if (others.length === 0) return;
    const target = rng.pick(others);
    const t = this.model.toggle("follow", actor.id, target.id);
    const want = !(t.asked ?? t.on);
    t.asked = want;
    const res = await this.send(
      c,
      `${want ? "follow" : "unfollow"} ${actor.username}→${target.username}`,
      () =>
        call<{ state: string }>(this.url, want ? "POST" : "DELETE", `/api/users/${target.username}/follow`, {
          token: actor.token,
        }),
    );
    delete t.asked;
    if (res.status !== 200 || res.body.state !== (want ? "following" : "none")) {
      return this.unexpected(`${want ? "follow" : "unfollow"} ${target.username}`, res);
    }
    t.on = want;
    this.ack(want ? "follow" : "unfollow", toggleKey("follow", actor.id, target.id));
  }

  private async post(c: number, actor: User, rng: Rng): Promise<void> {
    const mediaIds: string[] = [];
    for (let i = rng.int(1, 2); i > 0; i--) {
      const up = await this.send(c, `upload by ${actor.username}`, () => upload(this.url, actor.token));
      if (up.media === undefined) return this.unexpected("POST /api/media", up);
      this.model.media.set(up.media.id, { id: up.media.id, ownerId: actor.id });
      this.ack("media", up.media.id);
      mediaIds.push(up.media.id);
    }
    const res = await this.send(c, `post by ${actor.username}`, () =>
      call<PostView>(this.url, "POST", "/api/posts", {
        token: actor.token,
        body: { caption: `round ${this.round} #durable`, mediaIds },
      }),
    );
    if (res.status !== 201) return this.unexpected("POST /api/posts", res);
    this.model.posts.set(res.body.id, { id: res.body.id, authorId: actor.id, mediaIds, acked: true });
    this.ack("post", res.body.id);
  }

  private knownPosts(): Post[] {
    return [...this.model.posts.values()];
  }

  private async like(c: number, actor: User, rng: Rng): Promise<void> {
    const all = this.knownPosts();
    if (all.length === 0) return;
    const post = rng.pick(all);
    const t = this.model.toggle("like", actor.id, post.id);
    const want = !(t.asked ?? t.on);
    t.asked = want;
    const res = await this.send(c, `${want ? "like" : "unlike"} ${post.id} by ${actor.username}`, () =>
      call<{ liked: boolean }>(this.url, want ? "POST" : "DELETE", `/api/posts/${post.id}/like`, {
        token: actor.token,
      }),
    );
    delete t.asked;
    if (res.status !== 200 || res.body.liked !== want) return this.unexpected(`like ${post.id}`, res);
    t.on = want;
    this.ack(want ? "like" : "unlike", toggleKey("like", actor.id, post.id));
  }

  private async comment(c: number, actor: User, rng: Rng): Promise<void> {
    const all = this.knownPosts();
    if (all.length === 0) return;
    const post = rng.pick(all);
    const res = await this.send(c, `comment on ${post.id} by ${actor.username}`, () =>
      call<CommentView>(this.url, "POST", `/api/posts/${post.id}/comments`, {
        token: actor.token,
        body: { text: `nice one (${rng.int(0, 1e6)})` },
      }),
    );
    if (res.status !== 201) return this.unexpected(`comment on ${post.id}`, res);
    this.model.comments.set(res.body.id, {
      id: res.body.id,
      postId: post.id,
      authorId: actor.id,
      acked: true,
    });
    this.ack("comment", res.body.id);
  }

  private async message(c: number, actor: User, rng: Rng): Promise<void> {
    const others = [...this.model.users.values()].filter((u) => u.id !== actor.id);
    if (others.length === 0) return;
    const other = rng.pick(others);
    let conversation = this.model.conversationOf(actor.id, other.id);
    if (conversation === undefined) {
      const opened = await this.send(c, `open conversation ${actor.username}+${other.username}`, () =>
        call<ConversationView>(this.url, "POST", "/api/conversations", {
          token: actor.token,
          body: { usernames: [other.username] },
        }),
      );
      if (opened.status !== 201 && opened.status !== 200)
        return this.unexpected("POST /api/conversations", opened);
      // The other member's client may have opened it meanwhile: the same conversation, or it is a defect.
      const known = this.model.conversationOf(actor.id, other.id);
      if (known !== undefined && known.id !== opened.body.id) {
        this.model.unexpected.push(`two conversations for one pair: ${known.id} and ${opened.body.id}`);
      }
      conversation = { id: opened.body.id, memberIds: [actor.id, other.id] };
      this.model.conversations.set(pairKey(actor.id, other.id), conversation);
      this.ack("conversation", conversation.id);
    }
    const conversationId = conversation.id;
    const res = await this.send(c, `message ${actor.username}→${other.username}`, () =>
      call<MessageView>(this.url, "POST", `/api/conversations/${conversationId}/messages`, {
        token: actor.token,
        body: { text: `hello ${rng.int(0, 1e6)}` },
      }),
    );
    if (res.status !== 201) return this.unexpected("POST /api/conversations/:id/messages", res);
    this.model.messages.set(res.body.id, {
      id: res.body.id,
      conversationId,
      senderId: actor.id,
      acked: true,
    });
    this.ack("message", res.body.id);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading it back as users do.

/** Runs `work` on every item, `width` at a time. */
async function pool<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i] as T);
      }
    }),
  );
  return results;
}

/** Every item of a paged list (`{items, nextCursor}`), or the status that refused it. */
async function allPages<T>(url: string, token: string, route: string): Promise<T[] | number> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const sep = route.includes("?") ? "&" : "?";
    const res: JsonResponse<{ items: T[]; nextCursor: string | null }> = await api(
      url,
      "GET",
      `${route}${sep}limit=${PAGE}${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`,
      { token },
    );
    if (res.status !== 200) return res.status;
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (cursor === null) return items;
  }
  throw new Error(`${route}: more than 100 pages`);
}

function list<T>(found: T[] | number, what: string, halfMade: string[]): T[] {
  if (typeof found === "number") {
    halfMade.push(`${what} answered ${found}`);
    return [];
  }
  return found;
}

interface Observed {
  /** Refs of acknowledged writes not found. */
  missing: Set<string>;
  halfMade: string[];
  /** Writes from requests in flight at a kill that turned out to have landed (whole, or listed in halfMade). */
  landed: string[];
  /** Media of the posts read, by status (processing ones are finished by their job, after the timeout). */
  media: Record<MediaView["status"], number>;
}

interface UserSeen {
  me: number;
  profile?: UserView;
  followers: string[];
  following: string[];
  posts: PostView[];
  feed: Set<string>;
  conversations: ConversationView[];
}

async function verify(url: string, model: Model): Promise<Observed> {
  const missing = new Set<string>();
  const halfMade: string[] = [];
  const landed: string[] = [];

  // Sign-ups in flight at the kill: the account is there whole (it logs in) or not at all.
  const anyToken = [...model.users.values()][0]?.token ?? "";
  for (const username of model.unansweredSignups.splice(0)) {
    const res = await api<UserView>(url, "GET", `/api/users/${username}`, { token: anyToken });
    if (res.status === 404) continue;
    const login = await api<{ token: string; user: UserView }>(url, "POST", "/api/auth/login", {
      body: { login: username, password: PASSWORD },
    });
    if (res.status !== 200 || login.status !== 200) {
      halfMade.push(`sign-up ${username} in flight: profile ${res.status}, login ${login.status}`);
      continue;
    }
    landed.push(`signup ${username}`);
    const client = model.users.size % CLIENTS;
    model.users.set(login.body.user.id, {
      id: login.body.user.id,
      username,
      token: login.body.token,
      client,
    });
  }

  // Every user: their profile's counts and the lists those count, their posts, feed and conversations.
  const users = [...model.users.values()];
  const seen = new Map<string, UserSeen>();
  await pool(users, 8, async (u) => {
    const me = await api(url, "GET", "/api/me", { token: u.token });
    const profile = await api<UserView>(url, "GET", `/api/users/${u.username}`, { token: u.token });
    const base = `/api/users/${u.username}`;
    const [fl, fg, ps, feed, convs] = await Promise.all([
      allPages<UserView>(url, u.token, `${base}/followers`),
      allPages<UserView>(url, u.token, `${base}/following`),
      allPages<PostView>(url, u.token, `${base}/posts`),
      allPages<PostView>(url, u.token, "/api/feed"),
      allPages<ConversationView>(url, u.token, "/api/conversations"),
    ]);
    seen.set(u.id, {
      me: me.status,
      ...(profile.status === 200 && { profile: profile.body }),
      followers: list(fl, `followers of ${u.username}`, halfMade).map((x) => x.id),
      following: list(fg, `following of ${u.username}`, halfMade).map((x) => x.id),
      posts: list(ps, `posts of ${u.username}`, halfMade),
      feed: new Set(list(feed, `feed of ${u.username}`, halfMade).map((p) => p.id)),
      conversations: list(convs, `conversations of ${u.username}`, halfMade),
    });
  });
  const seenOf = (id: string): UserSeen => {
    const s = seen.get(id);
    if (s === undefined) throw new Error(`user ${id} not read`);
    return s;
  };

  for (const u of users) {
    const s = seenOf(u.id);
    if (s.me !== 200 || s.profile?.id !== u.id) {
      missing.add(u.id);
      continue;
    }
    const counts = s.profile.counts;
    if (counts.followers !== s.followers.length)
      halfMade.push(
        `${u.username}: counts.followers ${counts.followers}, followers listed ${s.followers.length}`,
      );
    if (counts.following !== s.following.length)
      halfMade.push(
        `${u.username}: counts.following ${counts.following}, following listed ${s.following.length}`,
      );
    if (counts.posts !== s.posts.length)
      halfMade.push(`${u.username}: counts.posts ${counts.posts}, posts listed ${s.posts.length}`);
    // Each edge is listed on both sides.
    for (const f of s.following) {
      if (seen.has(f) && !seenOf(f).followers.includes(u.id))
        halfMade.push(`${u.username} lists following ${f}, whose followers do not list them`);
    }
    for (const f of s.followers) {
      if (seen.has(f) && !seenOf(f).following.includes(u.id))
        halfMade.push(`${u.username} lists follower ${f}, whose following does not list them`);
    }
  }

  // Posts listed by their authors that no client was told about: landed from a request in flight.
  for (const u of users) {
    for (const p of seenOf(u.id).posts) {
      if (!model.posts.has(p.id)) {
        model.posts.set(p.id, { id: p.id, authorId: u.id, mediaIds: p.media.map((m) => m.id), acked: false });
        landed.push(`post ${p.id}`);
      }
    }
  }

  // Every post: readable with its media, in its author's list and feed, counts equal to the lists.
  const postIds = [...model.posts.keys()];
  const likersOf = new Map<string, Set<string>>();
  const media = { ready: 0, processing: 0, failed: 0 };
  const views = new Map<string, PostView>();
  await pool(postIds, 8, async (postId) => {
    const post = model.posts.get(postId);
    if (post === undefined) return;
    const author = model.user(post.authorId);
    const res = await api<PostView>(url, "GET", `/api/posts/${postId}`, { token: author.token });
    const listed = seenOf(author.id).posts.some((p) => p.id === postId);
    if (res.status !== 200) {
      if (post.acked) missing.add(postId);
      if (listed) halfMade.push(`post ${postId} is listed by its author but answers ${res.status}`);
      return;
    }
    views.set(postId, res.body);
    if (!listed) {
      if (post.acked) missing.add(postId);
      halfMade.push(`post ${postId} answers 200 but is not in its author's list`);
    }
    const mediaIds = res.body.media.map((m) => m.id);
    if (post.acked && mediaIds.join() !== post.mediaIds.join()) {
      halfMade.push(`post ${postId}: media ${mediaIds.join()} instead of ${post.mediaIds.join()}`);
    }
    for (const m of res.body.media) {
      media[m.status]++;
      if (m.status === "failed") halfMade.push(`post ${postId}: media ${m.id} failed`);
      if (m.status === "ready") {
        const thumb = m.variants.thumb;
        const file = thumb === undefined ? undefined : await fileStatus(thumb.url);
        if (file !== 200)
          halfMade.push(`post ${postId}: media ${m.id} is ready but its thumb answers ${file}`);
      }
    }
    if (res.body.media.length === 0) halfMade.push(`post ${postId} has no media`);
    const [likers, cs] = await Promise.all([
      allPages<UserView>(url, author.token, `/api/posts/${postId}/likes`),
      allPages<CommentView>(url, author.token, `/api/posts/${postId}/comments`),
    ]);
    const likerIds = list(likers, `likers of ${postId}`, halfMade).map((u) => u.id);
    likersOf.set(postId, new Set(likerIds));
    if (res.body.likeCount !== likerIds.length) {
      halfMade.push(`post ${postId}: likeCount ${res.body.likeCount}, likers listed ${likerIds.length}`);
    }
    const commentList = list(cs, `comments of ${postId}`, halfMade);
    if (res.body.commentCount !== commentList.length) {
      halfMade.push(
        `post ${postId}: commentCount ${res.body.commentCount}, comments listed ${commentList.length}`,
      );
    }
    const listedComments = new Set<string>();
    for (const c of commentList) {
      listedComments.add(c.id);
      if (c.postId !== postId) halfMade.push(`comment ${c.id} listed under ${postId} names post ${c.postId}`);
      if (!model.comments.has(c.id)) {
        model.comments.set(c.id, { id: c.id, postId, authorId: c.author.id, acked: false });
        landed.push(`comment ${c.id}`);
      }
    }
    for (const c of model.comments.values()) {
      if (c.postId === postId && c.acked && !listedComments.has(c.id)) missing.add(c.id);
    }
  });

  // The author reads each of their posts in their feed; a fan-out cut by the kill is resumed within seconds.
  const feedDeadline = Date.now() + 20_000;
  for (const u of users) {
    const s = seenOf(u.id);
    let absent = s.posts.filter((p) => !s.feed.has(p.id)).map((p) => p.id);
    while (absent.length > 0 && Date.now() < feedDeadline) {
      await new Promise((r) => setTimeout(r, 500));
      const feed = await allPages<PostView>(url, u.token, "/api/feed");
      if (typeof feed !== "number") s.feed = new Set(feed.map((p) => p.id));
      absent = absent.filter((id) => !s.feed.has(id));
    }
    for (const id of absent) halfMade.push(`post ${id} is not in its author ${u.username}'s feed`);
  }

  // Media acknowledged on upload: readable by their owner, not failed.
  const mediaIds = [...model.media.values()];
  await pool(mediaIds, 8, async (m) => {
    const res = await api<MediaView>(url, "GET", `/api/media/${m.id}`, {
      token: model.user(m.ownerId).token,
    });
    if (res.status !== 200 || res.body.status === "failed") missing.add(m.id);
  });

  // Follows: the list rows against the deciding row (the relationship a profile shows).
  const toggles = [...model.toggles.entries()];
  const listedState = new Map<string, boolean>();
  await pool(toggles, 8, async ([key, t]) => {
    const actor = model.user(t.actorId);
    if (t.kind === "follow") {
      const target = model.user(t.targetId);
      const listed = seenOf(actor.id).following.includes(target.id);
      listedState.set(key, listed);
      const profile = await api<UserView>(url, "GET", `/api/users/${target.username}`, {
        token: actor.token,
      });
      const deciding = profile.body.relationship?.following;
      if (deciding !== listed) {
        halfMade.push(
          `${actor.username}→${target.username}: relationship.following ${deciding}, listed ${listed}`,
        );
      }
    } else {
      const listed = likersOf.get(t.targetId)?.has(actor.id) ?? false;
      listedState.set(key, listed);
      const view = await api<PostView>(url, "GET", `/api/posts/${t.targetId}`, { token: actor.token });
      if (view.body.likedByMe !== listed) {
        halfMade.push(
          `like ${actor.username}→${t.targetId}: likedByMe ${view.body.likedByMe}, listed ${listed}`,
        );
      }
    }
  });
  for (const [key, t] of toggles) {
    const listed = listedState.get(key) ?? false;
    const fine = listed === t.on || (t.asked !== undefined && listed === t.asked);
    if (!fine) missing.add(key);
    else if (t.asked !== undefined && listed === t.asked && listed !== t.on) landed.push(key);
    // From here on the state read is the state to keep, whatever the unanswered request did.
    t.on = listed;
    delete t.asked;
  }

  // Conversations: both members read every message; each member's list shows it with its newest message.
  const conversations = [...model.conversations.values()];
  await pool(conversations, 8, async (conv) => {
    const views = await Promise.all(
      conv.memberIds.map(async (memberId) => {
        const member = model.user(memberId);
        const found = await allPages<MessageView>(
          url,
          member.token,
          `/api/conversations/${conv.id}/messages`,
        );
        return { member, found };
      }),
    );
    for (const { member, found } of views) {
      if (typeof found === "number") {
        missing.add(conv.id);
        halfMade.push(`conversation ${conv.id} answers ${found} to member ${member.username}`);
        continue;
      }
      const ids = new Set(found.map((m) => m.id));
      for (const m of found) {
        if (m.conversationId !== conv.id)
          halfMade.push(`message ${m.id} listed in ${conv.id} names ${m.conversationId}`);
        if (!model.messages.has(m.id)) {
          model.messages.set(m.id, {
            id: m.id,
            conversationId: conv.id,
            senderId: m.sender.id,
            acked: false,
          });
          landed.push(`message ${m.id}`);
        }
      }
      for (const m of model.messages.values()) {
        if (m.conversationId === conv.id && m.acked && !ids.has(m.id)) missing.add(m.id);
      }
      const newest = found[0];
      if (newest !== undefined) {
        const entry = seenOf(member.id).conversations.find((c) => c.id === conv.id);
        if (entry === undefined) {
          halfMade.push(`conversation ${conv.id} has messages but is not in ${member.username}'s list`);
        } else if (entry.lastMessage?.id !== newest.id) {
          halfMade.push(
            `conversation ${conv.id} in ${member.username}'s list shows last message ${entry.lastMessage?.id}, ` +
              `its newest is ${newest.id}`,
          );
        }
      }
    }
  });

  return { missing, halfMade, landed, media };
}

/** The status of a GET of a media file, its body read to the end. */
async function fileStatus(fileUrl: string): Promise<number> {
  const res = await fetch(fileUrl);
  await res.arrayBuffer();
  return res.status;
}

/** A finding without its small numbers (counts, statuses; ids are 18 digits): the same defect seen again. */
function subjectOf(finding: string): string {
  return finding.replace(/\b\d{1,9}\b/g, "#");
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the store itself, with the node stopped.

/**
 * Reads counters against the rows they count, and every post's media rows and original files. Only point reads
 * by primary key are used (every follow, like and media row is looked up by its key among the users and posts of
 * the model, which holds everything the API showed), so the check does not depend on how rows are partitioned.
 */
async function verifyStore(
  dataDir: string,
  model: Model,
): Promise<{ problems: string[]; processing: number }> {
  const problems: string[] = [];
  const store = new LevelStore({ path: path.join(dataDir, "store") });
  const blobs = new FsBlobStore({ root: path.join(dataDir, "blobs") });
  await store.open([...accountTables, ...graphTables, ...postTables, ...interactionTables, ...mediaTables]);
  let processing = 0;
  try {
    const postsBy = new Map<string, number>();
    for (const post of model.posts.values()) {
      const [owner, counts] = await Promise.all([
        store.get(postAuthors, { post_id: post.id }),
        store.get(postCounts, { post_id: post.id }),
      ]);
      if (owner?.author_id !== post.authorId) {
        problems.push(`store: post ${post.id}: post_authors names ${owner?.author_id}`);
        continue;
      }
      postsBy.set(post.authorId, (postsBy.get(post.authorId) ?? 0) + 1);
      for (const mediaId of post.mediaIds) {
        const m = await store.get(media, { owner_id: post.authorId, media_id: mediaId });
        const original = m?.original_key === undefined ? undefined : await blobs.head(m.original_key);
        if (m === undefined || original === undefined) {
          problems.push(
            `store: post ${post.id}: media ${mediaId} row ${m !== undefined}, original ${original !== undefined}`,
          );
        } else if (m.status === "processing") {
          // A transcoding cut by a kill is finished later by its durable job (resent after the timeout).
          const job = await store.get(transcodeJobs, {
            shard: Number(BigInt(mediaId) % BigInt(JOB_SHARDS)),
            media_id: mediaId,
          });
          if (job === undefined)
            problems.push(`store: post ${post.id}: media ${mediaId} processing with no job`);
          else processing++;
        }
      }
      // Every liker is a user of the model: the deciding rows of all of them are all the likes there are.
      let liked = 0;
      for (const u of model.users.values()) {
        if ((await store.get(likes, { user_id: u.id, post_id: post.id })) !== undefined) liked++;
      }
      if ((counts?.likes ?? 0) !== liked) {
        problems.push(`store: post ${post.id} counts ${counts?.likes ?? 0} likes, deciding rows ${liked}`);
      }
      // The model holds every comment the API listed (acknowledged, or landed from a request in flight).
      const listed = [...model.comments.values()].filter((c) => c.postId === post.id).length;
      if ((counts?.comments ?? 0) !== listed) {
        problems.push(`store: post ${post.id} counts ${counts?.comments ?? 0} comments, listed ${listed}`);
      }
    }
    for (const u of model.users.values()) {
      const counts = await store.get(userCounts, { user_id: u.id });
      let nFollowers = 0;
      let nFollowing = 0;
      for (const v of model.users.values()) {
        if ((await store.get(followers, { user_id: u.id, follower_id: v.id })) !== undefined) nFollowers++;
        if ((await store.get(following, { user_id: u.id, followee_id: v.id })) !== undefined) nFollowing++;
      }
      const c = {
        followers: counts?.followers ?? 0,
        following: counts?.following ?? 0,
        posts: counts?.posts ?? 0,
      };
      const nPosts = postsBy.get(u.id) ?? 0;
      if (c.followers !== nFollowers)
        problems.push(`store: ${u.username} counts ${c.followers} followers, rows ${nFollowers}`);
      if (c.following !== nFollowing)
        problems.push(`store: ${u.username} counts ${c.following} following, rows ${nFollowing}`);
      if (c.posts !== nPosts) problems.push(`store: ${u.username} counts ${c.posts} posts, rows ${nPosts}`);
    }
  } finally {
    await store.close();
    await blobs.close();
  }
  return { problems, processing };
}

// ---------------------------------------------------------------------------------------------------------------

describe("acknowledged means durable: SIGKILL under a mixed write load (issue #9)", function () {
  this.timeout(600_000);
  let dataDir: string;
  const nodes = new NodeProcesses(() => ({
    // The embedded store, whatever the suite around it runs on (test:infra sets MOSAIC_TEST_STORE=cassandra).
    STORE: "level",
    BLOBS: "fs",
    SERVICES: "*",
    DATA_DIR: dataDir,
    RATE_LIMITS: "off",
    LOG_LEVEL: "warn",
  }));

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-durability-"));
  });
  after(async () => {
    await nodes.stopAll(0);
    await rm(dataDir, { recursive: true, force: true });
  });

  async function startNode(name: string): Promise<{ proc: NodeProcess; url: string }> {
    const port = String(await freePort());
    const proc = nodes.start(name, { PORT: port });
    const url = `http://127.0.0.1:${port}`;
    await nodes.waitFor(
      async () => {
        if (proc.child.exitCode !== null)
          throw new Error(`${name} exited with ${proc.child.exitCode}:\n${proc.log}`);
        return fileStatus(`${url}/health/ready`).then(
          (status) => status === 200,
          () => false,
        );
      },
      60_000,
      `${name} to be ready`,
    );
    return { proc, url };
  }

  it("keeps every acknowledged write, and shows nothing half-made, across random kills", async () => {
    console.log(
      `      durability seed ${SEED} (replay: DURABILITY_SEED=${SEED}), ${ROUNDS} kills, ${CLIENTS} clients`,
    );
    const rng = new Rng(SEED);
    const model = new Model();
    let node = await startNode("start");
    const problems: string[] = [];
    const halfMadeSeen = new Set<string>();

    for (let round = 1; round <= ROUNDS; round++) {
      const load = new Load(model, node.url, round, rng.fork());
      const killAfterMs = rng.int(1000, 4000);
      const running = load.run();
      await new Promise((r) => setTimeout(r, killAfterMs));
      const exited = once(node.proc.child, "exit");
      node.proc.child.kill("SIGKILL");
      await exited;
      load.stop();
      await running;
      const inFlight = [...load.inFlight.values()];

      node = await startNode(`round-${round}`);
      const seen = await verify(node.url, model);
      const acked = model.acks.filter((a) => a.round === round);
      const lost = acked.filter((a) => seen.missing.has(a.ref));
      const lostEarlier = model.acks.filter((a) => a.round < round && seen.missing.has(a.ref));
      const fresh = seen.halfMade.filter((h) => !halfMadeSeen.has(subjectOf(h)));
      const kinds = new Map<string, number>();
      for (const a of acked) kinds.set(a.kind, (kinds.get(a.kind) ?? 0) + 1);
      console.log(
        `      round ${round}/${ROUNDS}: killed after ${killAfterMs} ms of load; acknowledged ${acked.length} ` +
          `(${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")}); found ${acked.length - lost.length}, ` +
          `lost ${lost.length}, half-made ${seen.halfMade.length} (${fresh.length} new); ` +
          `earlier rounds lost ${lostEarlier.length}; ` +
          `in flight at the kill ${inFlight.length}, landed ${seen.landed.length}; media of posts ` +
          `${seen.media.ready} ready, ${seen.media.processing} processing`,
      );
      for (const what of inFlight) console.log(`        in flight: ${what}`);
      for (const what of seen.landed) console.log(`        landed: ${what}`);
      for (const a of [...lost, ...lostEarlier])
        problems.push(`round ${round}: lost ${a.kind} ${a.ref} (acknowledged in round ${a.round})`);
      // What stays half-made is reported once, in the round that showed it first.
      for (const h of fresh) problems.push(`round ${round}: half-made: ${h}`);
      for (const h of fresh) halfMadeSeen.add(subjectOf(h));
      for (const p of problems.filter((x) => x.startsWith(`round ${round}:`))) console.log(`        ${p}`);
    }

    // The store itself, with the node stopped: counters against their rows, every post's media and originals.
    await nodes.stopAll(10_000);
    const stored = await verifyStore(dataDir, model);
    console.log(
      `      store: ${model.users.size} users and ${model.posts.size} posts checked (${stored.processing} media ` +
        `still processing, each with its job); ${stored.problems.length} problems`,
    );
    for (const p of stored.problems) console.log(`        ${p}`);
    console.log(`      refused as overloaded (503) and sent again: ${refusedAsOverloaded}`);
    problems.push(...stored.problems);

    if (problems.length > 0 || model.unexpected.length > 0) {
      const logs = path.join(os.tmpdir(), `mosaic-durability-${SEED}-logs`);
      await mkdir(logs, { recursive: true });
      for (const p of nodes.procs) await writeFile(path.join(logs, `${p.name}.log`), p.log);
      console.log(`      the nodes' logs: ${logs}`);
    }
    expect(model.unexpected, "requests answered other than 2xx during the load").to.deep.equal([]);
    expect(model.acks.length, "acknowledged writes").to.be.greaterThan(ROUNDS * 10);
    expect(problems).to.deep.equal([]);
  });
});
