/** The few API calls the feed bench makes itself (the load runs elsewhere), each bounded in time. */

const REQUEST_TIMEOUT_MS = 30_000;

export interface FeedAnswer {
  /** The bytes as sent, for the bare server to send the same. */
  body: string;
  contentType: string;
  postIds: string[];
}

export async function readFeed(url: string, token: string, limit: number): Promise<FeedAnswer> {
  const res = await fetch(`${url}/api/feed?limit=${limit}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET /api/feed: ${res.status} ${body.slice(0, 200)}`);
  const page = JSON.parse(body) as { items: { id: string }[] };
  return {
    body,
    contentType: res.headers.get("content-type") ?? "application/json",
    postIds: page.items.map((p) => p.id),
  };
}

/** Publishes a post of one (ready, unused) media; answers its id. */
export async function publishPost(
  url: string,
  token: string,
  mediaId: string,
  caption: string,
): Promise<string> {
  const res = await fetch(`${url}/api/posts`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ caption, mediaIds: [mediaId] }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = await res.text();
  if (res.status !== 201) throw new Error(`POST /api/posts: ${res.status} ${body.slice(0, 200)}`);
  return (JSON.parse(body) as { id: string }).id;
}

/**
 * Reads every reader's feed once, `concurrency` at a time: afterwards their timelines are in the node's memory
 * (warm). Gives up after `limitMs`, answering how many were read.
 */
export async function warmFeeds(
  url: string,
  tokens: readonly string[],
  options: { concurrency: number; limitMs: number },
): Promise<number> {
  const deadline = Date.now() + options.limitMs;
  let next = 0;
  let read = 0;
  const worker = async () => {
    while (next < tokens.length && Date.now() < deadline) {
      await readFeed(url, tokens[next++] ?? "", 20);
      read++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return read;
}
