import { compareIds, idAtTime, idTimestamp } from "../ids";
import type { SearchMetrics } from "../metrics/search-metrics";
import { CHECKPOINT_GRACE_MS, SEARCH_SHARDS, type SearchJob, type SearchOutbox } from "./outbox";
import type { IndexOp, SearchIndex } from "./search-index";
import type { SearchSources } from "./store-sources";

/** Jobs read per shard per round, and minutes looked at past a checkpoint: a round stays short after a long stop. */
const ROUND_JOBS = 2_000;
const ROUND_MINUTES = 60;
/** Documents read from the store at once, and ops per bulk request. */
const READ_CONCURRENCY = 64;
const BULK_OPS = 500;

export interface SearchIndexerDeps {
  outbox: SearchOutbox;
  index: SearchIndex;
  sources: SearchSources;
  /** This node, for the shard leases. */
  holder: string;
  /** The generation a reindex is filling, which gets every live change too; undefined when none runs. */
  reindexing: () => Promise<string | undefined>;
  metrics?: SearchMetrics;
  now?: () => number;
}

/**
 * Applies the outbox's jobs to the index: for each shard this node holds the lease of, reads the jobs from the
 * shard's checkpoint on, rebuilds each named document from the store, applies them in bulk (versioned by the job
 * id, so a job applied twice or late changes nothing), and moves the checkpoint. The checkpoint trails the newest
 * job by CHECKPOINT_GRACE_MS, so a job written slowly is never passed; jobs above it already applied are
 * remembered and not applied again.
 */
export class SearchIndexer {
  private readonly now: () => number;
  private readonly checkpoints = new Map<number, string | undefined>();
  private readonly applied = new Map<number, Set<string>>();
  /** Per shard: the jobs being applied and the time of the oldest, while a round applies them. */
  private readonly pendingSince = new Map<number, { jobs: number; since: number } | undefined>();

  constructor(private readonly deps: SearchIndexerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** One pass over the shards; answers how many jobs it applied. */
  async round(): Promise<number> {
    let total = 0;
    const indexId = this.deps.index.identity();
    for (let shard = 0; shard < SEARCH_SHARDS; shard++) {
      if (!(await this.deps.outbox.lease(indexId, shard, this.deps.holder))) {
        // Another node holds it and moves its checkpoint: what this node remembered of it is stale.
        this.checkpoints.delete(shard);
        this.applied.delete(shard);
        this.pendingSince.delete(shard);
        continue;
      }
      total += await this.shardRound(indexId, shard);
    }
    this.reportPending();
    return total;
  }

  /** Gives the leases back, so another node takes the shards over at once rather than at their expiry. */
  async release(): Promise<void> {
    const indexId = this.deps.index.identity();
    await Promise.all(
      [...this.checkpoints.keys()].map((shard) =>
        this.deps.outbox.release(indexId, shard, this.deps.holder).catch(() => undefined),
      ),
    );
  }

  /** The jobs this node has read and not applied yet, and the age of the oldest (null when none). */
  pending(): { jobs: number; oldestAgeMs: number | null } {
    let jobs = 0;
    let oldest = Infinity;
    for (const shard of this.pendingSince.values()) {
      if (shard === undefined) continue;
      jobs += shard.jobs;
      oldest = Math.min(oldest, shard.since);
    }
    return { jobs, oldestAgeMs: Number.isFinite(oldest) ? this.now() - oldest : null };
  }

  private async shardRound(indexId: string, shard: number): Promise<number> {
    const started = this.now();
    let checkpoint = this.checkpoints.has(shard)
      ? this.checkpoints.get(shard)
      : await this.deps.outbox.checkpoint(indexId, shard);
    const done = this.applied.get(shard) ?? new Set<string>();
    this.applied.set(shard, done);
    const { jobs, frontier } = await this.deps.outbox.from(shard, checkpoint, {
      max: ROUND_JOBS,
      maxMinutes: ROUND_MINUTES,
    });
    const todo = jobs.filter((job) => !done.has(job.jobId));
    const first = todo[0];
    this.pendingSince.set(shard, first && { jobs: todo.length, since: idTimestamp(first.jobId).getTime() });
    if (todo.length > 0) {
      await this.apply(todo);
      const appliedAt = this.now();
      for (const job of todo) {
        done.add(job.jobId);
        this.deps.metrics?.lag.observe((appliedAt - idTimestamp(job.jobId).getTime()) / 1000);
      }
      this.deps.metrics?.applied.inc(todo.length);
    }
    this.pendingSince.set(shard, undefined);
    const safe = idAtTime(started - CHECKPOINT_GRACE_MS);
    const next = compareIds(safe, frontier) < 0 ? safe : frontier;
    if (checkpoint === undefined || compareIds(next, checkpoint) > 0) {
      await this.deps.outbox.setCheckpoint(indexId, shard, next);
      checkpoint = next;
      for (const jobId of done) if (compareIds(jobId, next) < 0) done.delete(jobId);
    }
    this.checkpoints.set(shard, checkpoint);
    return todo.length;
  }

  /** Rebuilds the documents the jobs name and writes them, to the live generation and to one being rebuilt. */
  async apply(jobs: readonly SearchJob[]): Promise<void> {
    const ops = await this.opsFor(jobs);
    const reindexing = await this.deps.reindexing();
    for (let i = 0; i < ops.length; i += BULK_OPS) {
      const bulk = ops.slice(i, i + BULK_OPS);
      await this.deps.index.apply(bulk);
      if (reindexing !== undefined) await this.deps.index.apply(bulk, reindexing);
    }
  }

  /** One op per document named, at the version of the newest job naming it. */
  async opsFor(jobs: readonly SearchJob[]): Promise<IndexOp[]> {
    const newest = new Map<string, SearchJob>();
    for (const job of jobs) {
      const key = `${job.type}:${job.type === "tag" ? job.docId.toLowerCase() : job.docId}`;
      const seen = newest.get(key);
      if (seen === undefined || compareIds(job.jobId, seen.jobId) > 0) newest.set(key, job);
    }
    const ops: IndexOp[] = [];
    await inBatches([...newest.values()], READ_CONCURRENCY, async (job) => {
      ops.push(...(await this.opsOf(job)));
    });
    return ops;
  }

  private async opsOf(job: SearchJob): Promise<IndexOp[]> {
    const version = job.jobId;
    const { sources } = this.deps;
    switch (job.type) {
      case "user": {
        const doc = await sources.user(job.docId);
        return [
          doc
            ? { type: "user", op: "put", doc, version }
            : { type: "user", op: "delete", id: job.docId, version },
        ];
      }
      case "post": {
        const doc = await sources.post(job.docId);
        return [
          doc
            ? { type: "post", op: "put", doc, version }
            : { type: "post", op: "delete", id: job.docId, version },
        ];
      }
      case "tag": {
        const doc = await sources.tag(job.docId);
        const id = job.docId.toLowerCase();
        return [doc ? { type: "tag", op: "put", doc, version } : { type: "tag", op: "delete", id, version }];
      }
      case "authorPosts": {
        const ops: IndexOp[] = [];
        for await (const ids of sources.postIdsOf(job.docId)) {
          await inBatches(ids, READ_CONCURRENCY, async (postId) => {
            const doc = await sources.post(postId);
            if (doc) ops.push({ type: "post", op: "put", doc, version });
          });
        }
        return ops;
      }
    }
  }

  private reportPending(): void {
    const { jobs, oldestAgeMs } = this.pending();
    this.deps.metrics?.pending.set(jobs);
    this.deps.metrics?.oldestPendingAge.set(oldestAgeMs === null ? 0 : oldestAgeMs / 1000);
  }
}

/** Runs `task` over the items, at most `size` at once. */
export async function inBatches<T>(
  items: readonly T[],
  size: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(task));
}
