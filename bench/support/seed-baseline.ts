import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import path from "node:path";
import { Client } from "pg";
import { idTimestamp } from "../../lib/ids";
import type { FeedGraph } from "./feed-graph";
import { authors, usernameOf, type SeededIds } from "./seed-feed";

const ROOT = path.resolve(__dirname, "../..");
const BATCH = 5_000;

export const PG_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * The seed design's tables (seed 004: users, posts, followers, likes, comments) in a schema of their own, with the
 * indexes a sensible operator would add, filled with the same accounts, follows and posts as the Mosaic store
 * (same ids, same captions). Dropped first, so every run starts from the same state.
 */
export async function seedPostgres(
  schema: string,
  graph: FeedGraph,
  seeded: SeededIds,
): Promise<{ rows: number }> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  let rows = 0;
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path = ${schema}`);
    await client.query(`
      CREATE TABLE users (id bigint PRIMARY KEY, username text NOT NULL UNIQUE, display_name text NOT NULL,
        avatar_url text, created_at timestamptz NOT NULL);
      CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users, caption text NOT NULL,
        media jsonb NOT NULL, created_at timestamptz NOT NULL);
      CREATE TABLE followers (follower_id bigint NOT NULL, followee_id bigint NOT NULL,
        PRIMARY KEY (follower_id, followee_id));
      CREATE TABLE likes (post_id bigint NOT NULL, user_id bigint NOT NULL, PRIMARY KEY (post_id, user_id));
      CREATE TABLE comments (id bigserial PRIMARY KEY, post_id bigint NOT NULL, user_id bigint NOT NULL,
        text text NOT NULL, created_at timestamptz NOT NULL);`);
    const created = new Date();
    const userIds = Array.from({ length: graph.total }, (_, i) => seeded.userIds[i] ?? "");
    for (let start = 0; start < userIds.length; start += BATCH) {
      const ids = userIds.slice(start, start + BATCH);
      const names = ids.map((_, n) => usernameOf(graph, start + n));
      await client.query(
        `INSERT INTO users (id, username, display_name, avatar_url, created_at)
         SELECT id, name, name, NULL, $3 FROM unnest($1::bigint[], $2::text[]) AS t(id, name)`,
        [ids, names, created],
      );
      rows += ids.length;
    }
    const posts: [string, string, string, string, Date][] = [];
    for (const author of authors(graph)) {
      const authorId = seeded.userIds[author] ?? "";
      const media = JSON.stringify([{ id: authorId, type: "image" }]);
      (seeded.postIds[author] ?? []).forEach((postId, n) =>
        posts.push([postId, authorId, `post ${n} of ${authorId}`, media, new Date(idTimestamp(postId))]),
      );
    }
    for (let start = 0; start < posts.length; start += BATCH) {
      const chunk = posts.slice(start, start + BATCH);
      await client.query(
        `INSERT INTO posts (id, user_id, caption, media, created_at)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::jsonb[], $5::timestamptz[])`,
        [
          chunk.map((p) => p[0]),
          chunk.map((p) => p[1]),
          chunk.map((p) => p[2]),
          chunk.map((p) => p[3]),
          chunk.map((p) => p[4]),
        ],
      );
      rows += chunk.length;
    }
    const edges: [string, string][] = [];
    graph.followees.forEach((list, follower) => {
      for (const followee of list) edges.push([userIds[follower] ?? "", userIds[followee] ?? ""]);
    });
    for (let start = 0; start < edges.length; start += BATCH) {
      const chunk = edges.slice(start, start + BATCH);
      await client.query(
        `INSERT INTO followers (follower_id, followee_id) SELECT * FROM unnest($1::bigint[], $2::bigint[])`,
        [chunk.map((e) => e[0]), chunk.map((e) => e[1])],
      );
      rows += chunk.length;
    }
    await client.query(`
      CREATE INDEX posts_user_created ON posts (user_id, created_at DESC);
      CREATE INDEX followers_followee ON followers (followee_id);
      CREATE INDEX comments_post ON comments (post_id);
      ANALYZE;`);
  } finally {
    await client.end();
  }
  return { rows };
}

/** The seed's feed server (bench/seed-baseline-server.ts) on the seeded schema; tokens are the readers' ids. */
export async function startSeedBaseline(
  port: number,
  schema: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "bench/seed-baseline-server.ts")],
    {
      cwd: ROOT,
      env: { ...process.env, PG_URL, PG_SCHEMA: schema, PORT: String(port) },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the seed baseline exited with ${child.exitCode}`);
    const up = await fetch(url).then(
      () => true,
      () => false,
    );
    if (up) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the seed baseline did not start");
}
