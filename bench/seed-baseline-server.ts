import http from "node:http";
import { Pool } from "pg";

/**
 * The seed design's home feed (seed 004), as its own small server: a bare node:http server with a `pg` pool,
 * serving GET /api/feed?limit= from PostgreSQL with the seed's pull query, then the page's authors and counts
 * in one more query. Run by bench/feed.ts next to Mosaic (bench/support/seed-baseline.ts seeds the tables):
 *
 *   PG_URL=postgres://postgres@127.0.0.1:5432/postgres PG_SCHEMA=… PORT=… node --import tsx bench/seed-baseline-server.ts
 *
 * The bearer token is the reader's id: the baseline checks no signature, which only flatters it.
 */

const pool = new Pool({
  connectionString: process.env.PG_URL,
  max: Number(process.env.PG_POOL ?? "16"),
  options: `-c search_path=${process.env.PG_SCHEMA ?? "public"}`,
});

// The seed's own query (seed 004), as the issue quotes it.
const FEED = `
  SELECT posts.* FROM posts JOIN followers ON posts.user_id = followers.followee_id
  WHERE followers.follower_id = $1 AND posts.created_at > $2
  ORDER BY posts.created_at DESC LIMIT $3 OFFSET $4`;

// The page hydrated in one more query: each post's author and its counts, and whether the reader liked it.
const HYDRATE = `
  SELECT p.id, u.id AS author_id, u.username, u.display_name, u.avatar_url,
    (SELECT count(*) FROM likes l WHERE l.post_id = p.id) AS like_count,
    (SELECT count(*) FROM comments c WHERE c.post_id = p.id) AS comment_count,
    EXISTS (SELECT 1 FROM likes l WHERE l.post_id = p.id AND l.user_id = $2) AS liked_by_me
  FROM posts p JOIN users u ON u.id = p.user_id WHERE p.id = ANY($1::bigint[])`;

interface PostRow {
  id: string;
  user_id: string;
  caption: string;
  media: unknown;
  created_at: Date;
}

interface HydratedRow {
  id: string;
  author_id: string;
  username: string;
  display_name: string;
  avatar_url: string | null;
  like_count: string;
  comment_count: string;
  liked_by_me: boolean;
}

async function feed(readerId: string, limit: number, offset: number): Promise<unknown> {
  const { rows } = await pool.query<PostRow>(FEED, [readerId, new Date(0), limit, offset]);
  const hydrated = await pool.query<HydratedRow>(HYDRATE, [rows.map((r) => r.id), readerId]);
  const byId = new Map(hydrated.rows.map((h) => [h.id, h]));
  return {
    items: rows.map((post) => {
      const h = byId.get(post.id);
      return {
        id: post.id,
        author: {
          id: post.user_id,
          username: h?.username,
          displayName: h?.display_name,
          avatarUrl: h?.avatar_url ?? null,
        },
        caption: post.caption,
        media: post.media,
        createdAt: post.created_at.toISOString(),
        likeCount: Number(h?.like_count ?? 0),
        commentCount: Number(h?.comment_count ?? 0),
        likedByMe: h?.liked_by_me ?? false,
      };
    }),
    nextCursor: rows.length === limit ? String(offset + limit) : null,
  };
}

http
  .createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://baseline");
    const reader = /^Bearer (\d+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (url.pathname !== "/api/feed" || reader === undefined) {
      res.writeHead(url.pathname === "/api/feed" ? 401 : 200).end();
      return;
    }
    const limit = Math.min(100, Math.max(1, Number(url.searchParams.get("limit") ?? "20")));
    const offset = Number(url.searchParams.get("cursor") ?? "0");
    feed(reader, limit, offset).then(
      (page) => {
        const body = Buffer.from(JSON.stringify(page));
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body);
      },
      (err: unknown) => {
        res.writeHead(500).end(String(err));
      },
    );
  })
  .listen(Number(process.env.PORT ?? "3990"), "127.0.0.1");
