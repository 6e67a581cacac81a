import { compareIds } from "../../lib/ids";
import type { LevelStore } from "../../lib/store/level";
import { FANOUT_SHARDS, fanoutJobs, homeTimeline, timeline } from "../../lib/timeline/tables";
import { publishPost, readFeed } from "./feed-http";
import { openSse, type SseStream } from "./measure";

const POLL_PAUSE_MS = 10;
/** Entries a poll reads: the new post is the newest, so a short page tells. */
const POLL_LIMIT = 5;
/** Feeds a poll reads at once. */
const PROBE_WIDTH = 8;

export interface Visibility {
  postId: string;
  /** From sending the POST to its 201. */
  ackMs: number;
  /**
   * From sending the POST until every sampled follower could see it: when the last of them first saw it, or,
   * when each saw it on its first read after the 201 (a pulled post: nothing is delivered per follower, so it
   * shows for all at once), when the first read answered.
   */
  visibleMs: number;
  /** From sending the POST until every sampled feed had been read showing it (includes reading them all). */
  sampleReadMs: number;
  /** Whether every sampled follower saw it on its first read after the 201. */
  atFirstRead: boolean;
  rounds: number;
}

/** A follower whose feed the probe reads. */
export interface Follower {
  userId: string;
  token: string;
}

/**
 * Publishes a post and polls the feeds of a sample of the author's followers until every one of them shows it.
 * The caller reads each sampled feed once first, so that the polls hit warm timelines, as a feed usually is.
 *
 * Fan-out delivers in follower-id order, page after page, so the probe reads the feeds in that order: the first
 * unseen one, and once it shows the post the next ones PROBE_WIDTH at a time; a round stops at the first batch in
 * which one lacks it. The polls then cost the node little next to the fan-out they time. Reading one feed at a
 * time instead, the probe itself took 0.3 s to read the sample once the last page was out, and reported that as
 * the fan-out's. (Were the order different, later rounds would still find every follower, only later.)
 */
export async function timeToVisible(
  url: string,
  author: { token: string; mediaId: string },
  sample: readonly Follower[],
  limitMs: number,
): Promise<Visibility> {
  const start = performance.now();
  const postId = await publishPost(url, author.token, author.mediaId, "fan-out probe");
  const ackMs = performance.now() - start;
  let unseen = [...sample].sort((a, b) => compareIds(a.userId, b.userId));
  let firstSeen = Infinity;
  let lastSeen = start;
  let rounds = 0;
  while (unseen.length > 0) {
    if (performance.now() - start > limitMs) {
      throw new Error(
        `post ${postId}: ${unseen.length} of ${sample.length} feeds still lack it after ${limitMs} ms`,
      );
    }
    rounds++;
    // One feed until it shows the post, then PROBE_WIDTH at a time: while pages are still going out, a poll costs
    // the node one read.
    for (let width = 1; ; width = PROBE_WIDTH) {
      const batch = unseen.slice(0, width);
      if (batch.length === 0) break;
      const shows = await Promise.all(
        batch.map(async (follower) => {
          const has = (await readFeed(url, follower.token, POLL_LIMIT)).postIds.includes(postId);
          if (has) {
            firstSeen = Math.min(firstSeen, performance.now());
            lastSeen = Math.max(lastSeen, performance.now());
          }
          return has;
        }),
      );
      unseen = [...batch.filter((_, i) => !shows[i]), ...unseen.slice(batch.length)];
      if (shows.includes(false)) break;
    }
    if (unseen.length > 0) await new Promise((r) => setTimeout(r, POLL_PAUSE_MS));
  }
  const atFirstRead = rounds === 1;
  const visibleMs = (atFirstRead ? firstSeen : lastSeen) - start;
  return { postId, ackMs, visibleMs, sampleReadMs: lastSeen - start, atFirstRead, rounds };
}

/**
 * Publishes a post and waits for every sampled follower's open `GET /api/stream` to be told it joined their feed
 * (the `feed` event, sent once the post is in their stored timeline and their owner's memory), as a client with the
 * app open learns of it; then reads each sampled feed once to check that it shows the post. Unlike polling, this
 * costs the node nothing while the pages go out, and adds no time of the probe's own reads.
 */
export async function timeToTold(
  url: string,
  author: { token: string; mediaId: string },
  sample: readonly Follower[],
  limitMs: number,
): Promise<Visibility> {
  const streams: SseStream[] = [];
  try {
    // When each sampled follower was told of each post, by post: events may come before the POST answers.
    const arrivals = new Map<string, Map<string, number>>();
    let arrived = (): void => undefined;
    for (const follower of sample) {
      const stream = await openSse(url, "/api/stream", follower.token);
      if (stream.status !== 200) throw new Error(`GET /api/stream: ${stream.status}`);
      streams.push(stream);
      stream.onEvent((event) => {
        if (event.event !== "feed") return;
        const id = (JSON.parse(event.data) as { postId?: string }).postId ?? "";
        const told = arrivals.get(id) ?? new Map<string, number>();
        if (!told.has(follower.userId)) told.set(follower.userId, event.at);
        arrivals.set(id, told);
        arrived();
      });
    }
    const start = performance.now();
    const postId = await publishPost(url, author.token, author.mediaId, "fan-out probe");
    const ackMs = performance.now() - start;
    const told = await new Promise<Map<string, number>>((resolve, reject) => {
      const timer = setTimeout(() => {
        const missing = sample.length - (arrivals.get(postId)?.size ?? 0);
        reject(new Error(`post ${postId}: ${missing} streams not told in ${limitMs} ms`));
      }, limitMs);
      arrived = () => {
        const byFollower = arrivals.get(postId);
        if (byFollower?.size !== sample.length) return;
        clearTimeout(timer);
        resolve(byFollower);
      };
      arrived();
    });
    const visibleMs = Math.max(...told.values()) - start;
    for (const follower of sample) {
      if (!(await readFeed(url, follower.token, POLL_LIMIT)).postIds.includes(postId)) {
        throw new Error(`post ${postId}: ${follower.userId} was told of it, but their feed lacks it`);
      }
    }
    return {
      postId,
      ackMs,
      visibleMs,
      sampleReadMs: performance.now() - start,
      atFirstRead: false,
      rounds: 0,
    };
  } finally {
    for (const stream of streams) stream.close();
  }
}

/** Fan-out jobs not finished (read with the node stopped: LevelDB admits one process). */
export async function pendingFanoutJobs(store: LevelStore): Promise<number> {
  let pending = 0;
  for (let shard = 0; shard < FANOUT_SHARDS; shard++) {
    pending += (await store.slice(fanoutJobs, { shard }, { limit: 1000 })).rows.length;
  }
  return pending;
}

/** How many of the users have the post in their stored timeline: the fan-out's outcome, follower by follower. */
export async function deliveredTo(
  store: LevelStore,
  userIds: readonly string[],
  postId: string,
): Promise<number> {
  let delivered = 0;
  for (const user_id of userIds) {
    const key = { ...homeTimeline.partitionOf(user_id, postId), post_id: postId };
    if ((await store.get(timeline, key)) !== undefined) delivered++;
  }
  return delivered;
}
