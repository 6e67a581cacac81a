import { compareIds } from "../../lib/ids";
import type { LevelStore } from "../../lib/store/level";
import { FANOUT_SHARDS, fanoutJobs, homeTimeline, timeline } from "../../lib/timeline/tables";
import { publishPost, readFeed } from "./feed-http";

const POLL_PAUSE_MS = 10;
/** Entries a poll reads: the new post is the newest, so a short page tells. */
const POLL_LIMIT = 5;

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
 * Fan-out delivers in follower-id order, page after page, so the probe reads the feeds in that order, one at a
 * time, and a round stops at the first that lacks the post: the polls then cost the node little next to the
 * fan-out they time. (Were the order different, later rounds would still find every follower, only later.)
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
  const unseen = [...sample].sort((a, b) => compareIds(a.userId, b.userId));
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
    while (unseen[0] && (await readFeed(url, unseen[0].token, POLL_LIMIT)).postIds.includes(postId)) {
      unseen.shift();
      firstSeen = Math.min(firstSeen, performance.now());
      lastSeen = performance.now();
    }
    if (unseen.length > 0) await new Promise((r) => setTimeout(r, POLL_PAUSE_MS));
  }
  const atFirstRead = rounds === 1;
  const visibleMs = (atFirstRead ? firstSeen : lastSeen) - start;
  return { postId, ackMs, visibleMs, sampleReadMs: lastSeen - start, atFirstRead, rounds };
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
