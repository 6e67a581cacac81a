import { createHash } from "node:crypto";
import { idAtTime, idTimestamp } from "../ids";
import { defineTable } from "../store/schema";
import type { WideRowStore } from "../store/store";

/** What a job asks the indexer to bring up to date from the store. */
export type SearchJobType = "user" | "post" | "tag" | "authorPosts";

export interface SearchJob {
  /** A Snowflake id: orders the jobs and is the version of what the indexer writes for them. */
  jobId: string;
  type: SearchJobType;
  /** A user id, a post id, or a tag as first spelled (`SummerVibes`: the indexer reads its words from it). */
  docId: string;
}

/**
 * The search outbox: one row per change to make searchable, written by the writer of the change inside its own
 * journalled operation, so a change acknowledged has its job (a crash completes both). Partitioned by minute and
 * shard: a partition stops growing after a minute, readers move through them with a checkpoint and never delete
 * (rows expire), so no reader ever walks tombstones.
 */
export const searchJobs = defineTable({
  name: "search_jobs",
  columns: { minute: "int", shard: "int", job_id: "id", type: "text", doc_id: "text" },
  partitionKey: ["minute", "shard"],
  clustering: [{ column: "job_id", order: "asc" }],
  ttlSeconds: 7 * 86_400,
});

/**
 * How far each index (SearchIndex.identity) has applied each shard: every job below `job_id` is applied. Each
 * index reads the one outbox at its own pace: an embedded index per node, an OpenSearch prefix shared by the
 * search nodes that write it.
 */
export const searchCheckpoints = defineTable({
  name: "search_index_checkpoints",
  columns: { index_id: "text", shard: "int", job_id: "id" },
  partitionKey: ["index_id", "shard"],
});

/**
 * Which search node applies a shard to an index now: taken with insert-if-absent, renewed by the holder, lost by
 * expiry.
 */
export const searchShardLeases = defineTable({
  name: "search_index_leases",
  columns: { index_id: "text", shard: "int", holder: "text" },
  partitionKey: ["index_id", "shard"],
  ttlSeconds: 30,
  conditional: true,
});

export const SEARCH_SHARDS = 4;
/**
 * A job whose row took longer than this to write after its id was taken is written again with a new id. Readers
 * move their checkpoint only past ids older than CHECKPOINT_GRACE_MS, twice this, so no job can land behind a
 * checkpoint (clocks of the nodes agreeing within a second).
 */
export const WRITE_GRACE_MS = 2_000;
export const CHECKPOINT_GRACE_MS = 2 * WRITE_GRACE_MS + 1_000;

/** How far back a shard without a checkpoint looks. */
const FIRST_LOOK_MINUTES = 10;

export const searchOutboxTables = [searchJobs, searchCheckpoints, searchShardLeases] as const;

export interface SearchOutboxDeps {
  store: WideRowStore;
  ids: { next(): Promise<string> };
  now?: () => number;
  /** Wakes the indexers at once (a broadcast in a cluster); the indexers also look on their own every second. */
  nudge?: () => void;
}

export class SearchOutbox {
  private readonly now: () => number;

  constructor(private readonly deps: SearchOutboxDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Records jobs; resolves once every one is stored where no reader can have passed it. */
  async record(jobs: readonly { type: SearchJobType; docId: string }[]): Promise<void> {
    if (jobs.length === 0) return;
    await Promise.all(jobs.map((job) => this.recordOne(job)));
    this.deps.nudge?.();
  }

  private async recordOne(job: { type: SearchJobType; docId: string }): Promise<void> {
    for (;;) {
      const jobId = await this.deps.ids.next();
      const taken = idTimestamp(jobId).getTime();
      await this.deps.store.put(searchJobs, {
        minute: minuteOf(taken),
        shard: shardOf(job.docId),
        job_id: jobId,
        type: job.type,
        doc_id: job.docId,
      });
      // A slow write may have landed behind a checkpoint; the copy with a fresh id cannot have.
      if (this.now() - taken <= WRITE_GRACE_MS) return;
    }
  }

  /**
   * Jobs of a shard from `checkpoint` on (those of the last FIRST_LOOK_MINUTES when undefined: a search node
   * that never ran fills an empty index from the store instead), oldest first, at most
   * `max`, looking at most `maxMinutes` minutes past the checkpoint's so that a round stays short after a long
   * stop. `frontier` is where the reading stopped: every job below it was answered.
   */
  async from(
    shard: number,
    checkpoint: string | undefined,
    options: { max: number; maxMinutes: number },
  ): Promise<{ jobs: SearchJob[]; frontier: string }> {
    const now = this.now();
    const from =
      checkpoint === undefined
        ? minuteOf(now) - FIRST_LOOK_MINUTES
        : minuteOf(idTimestamp(checkpoint).getTime());
    const to = Math.min(minuteOf(now), from + options.maxMinutes);
    const jobs: SearchJob[] = [];
    for (let minute = from; minute <= to; minute++) {
      let pageToken: string | undefined;
      do {
        const page = await this.deps.store.slice(
          searchJobs,
          { minute, shard },
          {
            limit: Math.min(1_000, options.max - jobs.length),
            ...(checkpoint !== undefined && minute === from && { gte: { job_id: checkpoint } }),
            ...(pageToken !== undefined && { pageToken }),
          },
        );
        for (const row of page.rows) {
          if (row.type !== undefined && row.doc_id !== undefined && isJobType(row.type)) {
            jobs.push({ jobId: row.job_id, type: row.type, docId: row.doc_id });
          }
        }
        pageToken = page.nextPageToken;
        const last = page.rows.at(-1);
        if (jobs.length >= options.max && last !== undefined) {
          return { jobs, frontier: (BigInt(last.job_id) + 1n).toString() };
        }
      } while (pageToken !== undefined);
    }
    return { jobs, frontier: idAtTime((to + 1) * 60_000) };
  }

  async checkpoint(indexId: string, shard: number): Promise<string | undefined> {
    return (await this.deps.store.get(searchCheckpoints, { index_id: indexId, shard }))?.job_id;
  }

  async setCheckpoint(indexId: string, shard: number, jobId: string): Promise<void> {
    await this.deps.store.put(searchCheckpoints, { index_id: indexId, shard, job_id: jobId });
  }

  /**
   * Takes or renews the lease of a shard for `holder`; answers whether it holds it now. A holder that stops
   * renewing loses it within the lease's TTL, and another search node carries on from the checkpoint.
   */
  async lease(indexId: string, shard: number, holder: string): Promise<boolean> {
    const key = { index_id: indexId, shard };
    const taken = await this.deps.store.insertIfAbsent(searchShardLeases, { ...key, holder });
    if (taken.applied) return true;
    if (taken.existing.holder !== holder) return false;
    return this.deps.store.updateIf(searchShardLeases, { ...key, holder }, { holder });
  }

  async release(indexId: string, shard: number, holder: string): Promise<void> {
    await this.deps.store.deleteIf(searchShardLeases, { index_id: indexId, shard }, { holder });
  }
}

const JOB_TYPES: readonly string[] = ["user", "post", "tag", "authorPosts"] satisfies SearchJobType[];

function isJobType(type: string): type is SearchJobType {
  return JOB_TYPES.includes(type);
}

export function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000);
}

/** Jobs of one document go to one shard, so one indexer sees them in order. */
function shardOf(docId: string): number {
  return createHash("sha256").update(docId.toLowerCase()).digest().readUInt32BE(0) % SEARCH_SHARDS;
}
