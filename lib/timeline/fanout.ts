import { userCounts } from "../accounts/tables";
import type { Graph } from "../graph";
import type { FanoutMetrics } from "../metrics/fanout-metrics";
import type { WideRowStore } from "../store/store";
import { FANOUT_SHARDS, celebrities, fanoutJobs, fanoutLeases } from "./tables";

/**
 * A job's lease, renewed after every page. Short, so that a job whose runner died is resumed within seconds:
 * a runner that is merely slow loses nothing by it, since pushes are idempotent and a runner that finds its
 * lease taken stops.
 */
const LEASE = { ttlSeconds: 4 };
const LEASE_RENEW_MS = 1_000;

export interface FanoutJob {
  postId: string;
  authorId: string;
  /** A close friends' post: recorded with the job, which then reaches those friends alone. */
  audience?: "close_friends";
}

export interface PendingFanoutJob extends FanoutJob {
  /** When the job was recorded (ms). */
  createdAt: number;
}

/** Hands one page of followers to their timeline owners; resolves when every owner has written them. */
export type Deliver = (userIds: readonly string[], job: FanoutJob) => Promise<void>;

export interface FanoutDeps {
  store: WideRowStore;
  /** The followers' pages, and whether a close friend follows the author. */
  graph: Pick<Graph, "followerIdsPage" | "isFollowing">;
  /** Whom an author keeps as close friends (bounded: lib/graph/close-friends.ts). */
  closeFriends: { ids(userId: string): Promise<string[]> };
  deliver: Deliver;
  /** Authors with at least this many followers are read at feed time instead (celebrities). */
  celebrityThreshold: number;
  /** Who holds a lease: this node, for the logs of whoever finds it taken. */
  holder: string;
  pageSize?: number;
  now?: () => number;
  /** Where a timeline node reports the backlog its scans find and the rows its jobs have written. */
  metrics?: FanoutMetrics;
}

/**
 * Durable fan-out on write. The job row is written with the post; running it pages through the author's followers
 * from the job's cursor, pushes each page to the timeline owners, and moves the cursor on only after the page is
 * written. A crash re-delivers at most one page, and a push of an entry already there changes nothing, so every
 * follower gets the post exactly once.
 */
export class Fanout {
  private readonly now: () => number;

  constructor(private readonly deps: FanoutDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Records the job; the post may be acknowledged once this resolves. */
  async record(job: FanoutJob): Promise<void> {
    // Readers must know to pull from a celebrity before the post is acknowledged, since nobody pushes it.
    if (await this.isCelebrity(job.authorId)) {
      await this.deps.store.put(celebrities, {
        bucket: 0,
        user_id: job.authorId,
        since: new Date(this.now()),
      });
    }
    await this.deps.store.put(fanoutJobs, {
      shard: shardOf(job.postId),
      post_id: job.postId,
      author_id: job.authorId,
      delivered: 0,
      created_at: new Date(this.now()),
      ...(job.audience !== undefined && { audience: job.audience }),
    });
  }

  /**
   * Runs a job to the end unless another node holds it; answers whether this call ran it. `onLeased` runs once
   * the lease is taken, before any page goes out.
   */
  async run(job: FanoutJob, onLeased?: () => void): Promise<boolean> {
    const lease = await this.deps.store.insertIfAbsent(
      fanoutLeases,
      { post_id: job.postId, holder: this.deps.holder },
      LEASE,
    );
    if (!lease.applied) return false;
    onLeased?.();
    // Renewed on a timer rather than per page: a page waiting on a dead owner may take longer than the lease.
    let held = true;
    const renewal = setInterval(() => {
      this.deps.store
        .updateIf(
          fanoutLeases,
          { post_id: job.postId, holder: this.deps.holder },
          { holder: this.deps.holder },
          LEASE,
        )
        .then(
          (renewed) => (held &&= renewed),
          () => undefined,
        );
    }, LEASE_RENEW_MS);
    renewal.unref();
    try {
      const key = { shard: shardOf(job.postId), post_id: job.postId };
      const row = await this.deps.store.get(fanoutJobs, key);
      if (row === undefined) return true; // done meanwhile
      const celebrity = await this.isCelebrity(job.authorId);
      if (row.cursor === undefined) {
        // The author reads their own posts in their feed, whatever their audience.
        await this.deps.deliver([job.authorId], job);
        this.deps.metrics?.rowsWritten.inc();
      }
      if (row.cursor === "") {
        // Every page went out before a crash took the delete with it.
      } else if (row.audience === "close_friends") {
        // One bounded page; a crash delivers it again, which changes nothing. A celebrity's close friends get it
        // pushed too: nobody pulls a post from a celebrity's posts that is not in their audience.
        const reached = await this.closeFriendsFollowing(job.authorId);
        await this.deps.deliver(reached, job);
        this.deps.metrics?.rowsWritten.inc(reached.length);
      } else if (celebrity) {
        await this.deps.store.put(celebrities, {
          bucket: 0,
          user_id: job.authorId,
          since: new Date(this.now()),
        });
      } else {
        let cursor = row.cursor;
        let delivered = row.delivered ?? 0;
        do {
          const page = await this.deps.graph.followerIdsPage(job.authorId, cursor, this.deps.pageSize ?? 500);
          await this.deps.deliver(page.ids, job);
          this.deps.metrics?.rowsWritten.inc(page.ids.length);
          delivered += page.ids.length;
          cursor = page.nextPageToken ?? undefined;
          // Remember progress ("" once every page is out) after every page.
          await this.deps.store.put(fanoutJobs, { ...key, cursor: cursor ?? "", delivered });
          // The lease ran out and another node resumed the job from the saved cursor: leave it to that one.
          if (!held) return false;
        } while (cursor !== undefined);
      }
      await this.deps.store.delete(fanoutJobs, key);
      return true;
    } finally {
      clearInterval(renewal);
      await this.deps.store
        .deleteIf(fanoutLeases, { post_id: job.postId }, { holder: this.deps.holder })
        .catch(() => undefined);
    }
  }

  /** Jobs older than `olderThanMs`: their node died, or is slow; run() skips those still leased. */
  async pending(olderThanMs: number): Promise<PendingFanoutJob[]> {
    const now = this.now();
    const cutoff = now - olderThanMs;
    const jobs: PendingFanoutJob[] = [];
    // The whole backlog, for the metrics: this scan reads every job row anyway.
    let backlog = 0;
    let oldest: number | undefined;
    for (let shard = 0; shard < FANOUT_SHARDS; shard++) {
      let pageToken: string | undefined;
      do {
        const page = await this.deps.store.slice(fanoutJobs, { shard }, { limit: 500, pageToken });
        for (const row of page.rows) {
          // A row without its author is no job (the progress of one another node had finished meanwhile).
          if (row.author_id === undefined) continue;
          const createdAt = row.created_at?.getTime() ?? 0;
          backlog++;
          if (oldest === undefined || createdAt < oldest) oldest = createdAt;
          if (createdAt <= cutoff) {
            jobs.push({ postId: row.post_id, authorId: row.author_id, createdAt });
          }
        }
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    this.deps.metrics?.scanned(backlog, oldest, now);
    return jobs;
  }

  /** The author's close friends who follow them: a feed shows only followed authors' posts. */
  private async closeFriendsFollowing(authorId: string): Promise<string[]> {
    const friends = await this.deps.closeFriends.ids(authorId);
    const follows = await Promise.all(friends.map((id) => this.deps.graph.isFollowing(id, authorId)));
    return friends.filter((_, i) => follows[i]);
  }

  private async isCelebrity(userId: string): Promise<boolean> {
    const counts = await this.deps.store.get(userCounts, { user_id: userId });
    return (counts?.followers ?? 0) >= this.deps.celebrityThreshold;
  }

  /** The author is gone (erased): readers stop pulling from them. */
  async forgetAuthor(authorId: string): Promise<void> {
    await this.deps.store.delete(celebrities, { bucket: 0, user_id: authorId });
  }

  /** The celebrities (few by definition), for readers to pull from. */
  async celebrityIds(): Promise<string[]> {
    const ids: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.deps.store.slice(celebrities, { bucket: 0 }, { limit: 1000, pageToken });
      ids.push(...page.rows.map((r) => r.user_id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return ids;
  }
}

function shardOf(postId: string): number {
  return Number(BigInt(postId) % BigInt(FANOUT_SHARDS));
}
