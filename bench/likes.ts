import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { AccessTokens } from "../lib/accounts/access-tokens";
import { emails, sessions, usernames, users } from "../lib/accounts/tables";
import { SnowflakeGenerator } from "../lib/ids";
import { likes, postCounts, postLikers } from "../lib/interactions/tables";
import type { WideRowStore } from "../lib/store/store";
import { signup, startTestNode, type TestNode } from "../test/support/test-node";
import { Client, ms, runPool, summarise, type RunResult } from "./support/measure";
import { positiveIntOption } from "./support/options";
import { BENCH_ENV } from "./support/processes";

/**
 * POST /api/posts/:id/like (and DELETE, and POST again) from many users at once on one post, through an
 * embedded node, against two references measured in the same run:
 *
 *   - the raw store doing what decides and counts a like: insertIfAbsent of the user's like row and increment of
 *     the post's counter (delete and decrement for an unlike), on the node's own store, at the same concurrency;
 *   - a bare node:http server answering the same JSON body, through the same client (the HTTP overhead).
 *
 * Every phase sends one request per user, so each does real work (no idempotent repeats). The like count must
 * come out exact after every phase: the script exits 1 otherwise.
 *
 * The first like of each user also notifies the post's author, in the author's inbox mailbox (one at a time
 * per author), and the like is answered after it; a like after an unlike does not notify again (once per
 * action). So "like" and "like again" differ by that notification.
 *
 * The node, the references and the client share this one process (and event loop), as the tests' node does.
 *
 *   npx tsx bench/likes.ts [--users 1000] [--concurrency 32]
 */

interface Liker {
  userId: string;
  token: string;
}

type Phase = "like" | "unlike" | "like again";

const PHASES: readonly { phase: Phase; method: "POST" | "DELETE"; liked: boolean }[] = [
  { phase: "like", method: "POST", liked: true },
  { phase: "unlike", method: "DELETE", liked: false },
  { phase: "like again", method: "POST", liked: true },
];
const WARM_USERS = 200;
const RAW_ROUNDS = 5;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const secret = randomBytes(48).toString("base64url");
  const t = await startTestNode({ JWT_SECRET: secret, ...BENCH_ENV });
  const problems: string[] = [];
  try {
    const store = t.node.app.store;
    if (store === undefined) throw new Error("the test node has no store");
    progress(`seeding ${options.users} users straight into the store`);
    const likers = await seedLikers(
      store,
      secret,
      t.node.app.config.auth.accessTokenTtlSeconds,
      options.users,
    );
    const author = await signup(t.url, "bench_author");
    const photo = await readFile(path.resolve(__dirname, "../test/fixtures/image.png"));
    const postId = await createPost(t, author.token, photo);
    const warmPostId = await createPost(t, author.token, photo);
    const client = new Client(t.url, options.concurrency);
    try {
      // A token's first use checks its signature (then cached): done here, so that the first phase does not
      // pay for what the others do not.
      progress("warming up: GET /api/me for every user, then likes on another post");
      await runPool(likers.length, options.concurrency, async (i) => {
        const answer = await client.request({
          method: "GET",
          path: "/api/me",
          token: likers[i]?.token ?? "",
        });
        if (answer.status !== 200) throw new Error(`GET /api/me: ${answer.status} ${answer.body}`);
      });
      const warm = likers.slice(0, WARM_USERS);
      for (const p of PHASES) await likeAll(client, warmPostId, warm, p.method, p.liked, options.concurrency);

      const mosaic = new Map<Phase, RunResult>();
      for (const p of PHASES) {
        progress(`mosaic: ${p.phase}`);
        mosaic.set(p.phase, await likeAll(client, postId, likers, p.method, p.liked, options.concurrency));
        const expected = p.liked ? likers.length : 0;
        problems.push(...(await checkCounts(t, store, author.token, postId, expected, p.phase)));
      }

      progress("raw store");
      const raw = await rawStore(store, likers, options.concurrency, problems);

      progress("bare node:http");
      const bare = await bareHttp(likers, postId, options.concurrency);

      printReport(options, mosaic, raw, bare);
    } finally {
      client.close();
    }
  } finally {
    await t.stop();
  }
  if (problems.length > 0) {
    for (const problem of problems) console.error(`WRONG: ${problem}`);
    process.exit(1);
  }
}

/**
 * Accounts and sessions written as sign-up leaves them (sign-up itself hashes a password with argon2: tens of
 * milliseconds each), with access tokens signed with the node's key.
 */
async function seedLikers(
  store: WideRowStore,
  secret: string,
  ttlSeconds: number,
  count: number,
): Promise<Liker[]> {
  const ids = new SnowflakeGenerator({ workerId: 900 });
  const tokens = new AccessTokens(secret, ttlSeconds);
  const created = new Date();
  const likers: Liker[] = [];
  await runPool(count, 32, async (i) => {
    const [userId, sessionId] = [await ids.next(), await ids.next()];
    const username = `bench_liker_${i}`;
    const email = `${username}@bench.example.com`;
    await store.put(users, {
      user_id: userId,
      username,
      email,
      password_hash: "x",
      display_name: username,
      bio: "",
      is_private: false,
      created_at: created,
    });
    await store.insertIfAbsent(usernames, { username, user_id: userId });
    await store.insertIfAbsent(emails, { email, user_id: userId });
    const { token, expiresAt } = await tokens.issue(userId, sessionId);
    await store.put(sessions, {
      user_id: userId,
      session_id: sessionId,
      created_at: created,
      expires_at: expiresAt,
    });
    likers[i] = { userId, token };
  });
  return likers;
}

async function createPost(t: TestNode, token: string, photo: Buffer): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([photo, randomBytes(8)], { type: "image/png" }), "a.png");
  const media = await fetch(`${t.url}/api/media`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  if (media.status !== 201 && media.status !== 202 && media.status !== 200) {
    throw new Error(`POST /api/media: ${media.status} ${await media.text()}`);
  }
  const { id: mediaId } = (await media.json()) as { id: string };
  const post = await fetch(`${t.url}/api/posts`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ caption: "like me", mediaIds: [mediaId] }),
  });
  if (post.status !== 201) throw new Error(`POST /api/posts: ${post.status} ${await post.text()}`);
  return ((await post.json()) as { id: string }).id;
}

/** One request per liker on the post, `concurrency` at a time; any answer but 200 and the right state throws. */
function likeAll(
  client: Client,
  postId: string,
  likers: readonly Liker[],
  method: "POST" | "DELETE",
  liked: boolean,
  concurrency: number,
): Promise<RunResult> {
  return runPool(likers.length, concurrency, async (i) => {
    const liker = likers[i];
    if (liker === undefined) throw new Error(`no liker ${i}`);
    const answer = await client.request({ method, path: `/api/posts/${postId}/like`, token: liker.token });
    if (answer.status !== 200) throw new Error(`${method} like: ${answer.status} ${answer.body}`);
    const body = JSON.parse(answer.body) as { liked: boolean; likeCount: number };
    if (body.liked !== liked) throw new Error(`${method} like answered ${answer.body}`);
  });
}

/** The count as the API shows it, the stored counter, and the list rows, all against what it must be. */
async function checkCounts(
  t: TestNode,
  store: WideRowStore,
  token: string,
  postId: string,
  expected: number,
  phase: string,
): Promise<string[]> {
  const res = await fetch(`${t.url}/api/posts/${postId}`, { headers: { authorization: `Bearer ${token}` } });
  const { likeCount } = (await res.json()) as { likeCount: number };
  const counter = (await store.get(postCounts, { post_id: postId }))?.likes ?? 0;
  const listed = await countRows(store, postId);
  progress(
    `after ${phase}: likeCount ${likeCount}, counter ${counter}, list rows ${listed} (want ${expected})`,
  );
  const wrong: string[] = [];
  if (likeCount !== expected)
    wrong.push(`after ${phase}: GET /api/posts/:id likeCount ${likeCount}, want ${expected}`);
  if (counter !== expected) wrong.push(`after ${phase}: post_counts.likes ${counter}, want ${expected}`);
  if (listed !== expected) wrong.push(`after ${phase}: likes_by_time rows ${listed}, want ${expected}`);
  return wrong;
}

async function countRows(store: WideRowStore, postId: string): Promise<number> {
  return (await postLikers.walk(store, postId, { limit: 1_000_000 })).rows.length;
}

/**
 * The store work that decides and counts each like and unlike, on posts of its own, same concurrency: a warm-up,
 * then RAW_ROUNDS rounds on fresh posts (one round is a few tens of milliseconds, so one pause would skew it).
 */
async function rawStore(
  store: WideRowStore,
  likers: readonly Liker[],
  concurrency: number,
  problems: string[],
): Promise<Map<Phase, RunResult>> {
  const ids = new SnowflakeGenerator({ workerId: 901 });
  await rawPhases(store, ids, likers.slice(0, WARM_USERS), concurrency, problems);
  const total = new Map<Phase, RunResult>();
  for (let round = 0; round < RAW_ROUNDS; round++) {
    for (const [phase, r] of await rawPhases(store, ids, likers, concurrency, problems)) {
      const sum = total.get(phase) ?? { count: 0, seconds: 0, latencies: [] };
      total.set(phase, {
        count: sum.count + r.count,
        seconds: sum.seconds + r.seconds,
        latencies: [...sum.latencies, ...r.latencies],
      });
    }
  }
  return total;
}

async function rawPhases(
  store: WideRowStore,
  ids: SnowflakeGenerator,
  likers: readonly Liker[],
  concurrency: number,
  problems: string[],
): Promise<Map<Phase, RunResult>> {
  const postId = await ids.next();
  const likeIds: string[] = [];
  for (let i = 0; i < likers.length * 2; i++) likeIds.push(await ids.next());
  const like = (round: number) => async (i: number) => {
    const inserted = await store.insertIfAbsent(likes, {
      user_id: likers[i]?.userId ?? "",
      post_id: postId,
      like_id: likeIds[round * likers.length + i] ?? "",
      liked_at: new Date(),
    });
    if (!inserted.applied) throw new Error("raw like: the row was there already");
    await store.increment(postCounts, { post_id: postId }, { likes: 1 });
  };
  const unlike = async (i: number) => {
    await store.deleteIf(likes, { user_id: likers[i]?.userId ?? "", post_id: postId });
    await store.increment(postCounts, { post_id: postId }, { likes: -1 });
  };
  const results = new Map<Phase, RunResult>();
  results.set("like", await runPool(likers.length, concurrency, like(0)));
  results.set("unlike", await runPool(likers.length, concurrency, unlike));
  results.set("like again", await runPool(likers.length, concurrency, like(1)));
  const counter = (await store.get(postCounts, { post_id: postId }))?.likes ?? 0;
  if (counter !== likers.length) problems.push(`raw store counter ${counter}, want ${likers.length}`);
  return results;
}

/** The same requests through the same client to a server answering the like's JSON at once. */
async function bareHttp(likers: readonly Liker[], postId: string, concurrency: number): Promise<RunResult> {
  const body = Buffer.from(JSON.stringify({ liked: true, likeCount: likers.length }));
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": body.length,
        "x-request-id": crypto.randomUUID(),
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const client = new Client(`http://127.0.0.1:${port}`, concurrency);
  try {
    await likeAll(client, postId, likers.slice(0, WARM_USERS), "POST", true, concurrency);
    // Three times the requests: a phase this short is easily skewed by one pause.
    return await likeAll(client, postId, [...likers, ...likers, ...likers], "POST", true, concurrency);
  } finally {
    client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function printReport(
  options: { users: number; concurrency: number },
  mosaic: Map<Phase, RunResult>,
  raw: Map<Phase, RunResult>,
  bare: RunResult,
): void {
  const row = (r: RunResult | undefined) => {
    if (r === undefined) return {};
    const s = summarise(r.latencies);
    return {
      "ops/s": Math.round(r.count / r.seconds),
      "p50 ms": ms(s.p50),
      "p99 ms": ms(s.p99),
      "max ms": ms(s.max),
    };
  };
  const rate = (r: RunResult | undefined) => (r === undefined ? Number.NaN : r.count / r.seconds);
  console.log(
    `likes on one post: ${options.users} users, one request each per phase, ${options.concurrency} in flight; ` +
      `raw store: the same store work on fresh posts, ${RAW_ROUNDS} rounds summed`,
  );
  console.table({
    "mosaic POST like": row(mosaic.get("like")),
    "mosaic DELETE like": row(mosaic.get("unlike")),
    "mosaic POST like again": row(mosaic.get("like again")),
    "raw store like": row(raw.get("like")),
    "raw store unlike": row(raw.get("unlike")),
    "raw store like again": row(raw.get("like again")),
    "bare node:http POST": row(bare),
  });
  const ratio = (a: number, b: number) => (a / b).toFixed(3);
  for (const phase of ["like", "unlike", "like again"] as const) {
    console.log(
      `ratio mosaic / raw store, ${phase}: ${ratio(rate(mosaic.get(phase)), rate(raw.get(phase)))} of the ops per second`,
    );
  }
  console.log(
    `ratio mosaic / bare node:http, like: ${ratio(rate(mosaic.get("like")), rate(bare))} of the requests per second`,
  );
}

function parseOptions(argv: readonly string[]): { users: number; concurrency: number } {
  const number = (name: string, fallback: number): number => positiveIntOption(argv, name, fallback);
  return { users: number("users", 1000), concurrency: number("concurrency", 32) };
}

function progress(message: string): void {
  process.stderr.write(`[likes bench] ${message}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
