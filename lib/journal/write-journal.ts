import { AppError } from "../errors";
import type { WideRowStore } from "../store/store";
import { journalOps, type Completer, type JournalArgs, type JournalOp } from "./ops";
import { JOURNAL_SHARDS, pendingWriteLeases, pendingWrites } from "./tables";

/** A completion that outlives this is taken over by another node; completers are idempotent. */
const LEASE = { ttlSeconds: 60 };

export interface WriteJournalDeps {
  store: WideRowStore;
  ids: { next(): Promise<string> };
  /** Who completes an operation, for the lease: this node. */
  holder: string;
  now?: () => number;
  /** Hears of completions that failed (they are tried again on the next round). */
  warn?: (message: string, err: unknown) => void;
}

/**
 * The journal of writes that span partitions. The store writes one partition at a time, so a crash between the
 * writes of one operation (a like's deciding row, its list row, the post's count) would leave it half made: a
 * like shown as yours but not counted, a follow in one list and not the other, a post that never reaches a feed.
 * `run` records the operation before its first write and forgets it after its last; an operation found recorded
 * later was cut short, and `resume` hands it to its completer, which finishes it from the rows (or undoes what
 * never became visible) and recounts what it counted. Counters are recounted rather than incremented again,
 * since nobody can tell whether the increment before the crash landed.
 */
export class WriteJournal {
  private readonly completers = new Map<JournalOp, (args: unknown) => Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly deps: WriteJournalDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Makes this node able to complete operations of `kind`; the node that runs them must register them. */
  register<K extends JournalOp>(kind: K, complete: Completer<K>): void {
    const schema = journalOps[kind];
    this.completers.set(kind, (args) => complete(schema.parse(args) as JournalArgs<K>));
  }

  /**
   * Runs `task`, an operation whose writes span partitions, recorded for as long as it runs. A task that fails
   * stays recorded: what it wrote is completed (or undone) by `resume`, as after a crash; one refused with a
   * client error (4xx) undid what it had written before refusing, and is forgotten.
   */
  async run<K extends JournalOp, T>(kind: K, args: JournalArgs<K>, task: () => Promise<T>): Promise<T> {
    const opId = await this.deps.ids.next();
    const key = { shard: shardOf(opId), op_id: opId };
    await this.deps.store.put(pendingWrites, {
      ...key,
      kind,
      args: JSON.stringify(args),
      created_at: new Date(this.now()),
    });
    let result: T;
    try {
      result = await task();
    } catch (err) {
      if (err instanceof AppError && err.status < 500) await this.deps.store.delete(pendingWrites, key);
      throw err;
    }
    await this.deps.store.delete(pendingWrites, key);
    return result;
  }

  /**
   * Completes the recorded operations older than `olderThanMs` whose kind this node knows (0 at start-up of a
   * single node, when nothing can still be running them); answers how many it completed.
   */
  async resume(olderThanMs: number): Promise<number> {
    const cutoff = this.now() - olderThanMs;
    let completed = 0;
    for (let shard = 0; shard < JOURNAL_SHARDS; shard++) {
      let pageToken: string | undefined;
      do {
        const page = await this.deps.store.slice(pendingWrites, { shard }, { limit: 200, pageToken });
        for (const row of page.rows) {
          if ((row.created_at?.getTime() ?? 0) > cutoff) continue;
          const complete = this.completers.get(row.kind as JournalOp);
          if (complete === undefined || row.args === undefined) continue;
          const args = row.args;
          try {
            if (await this.complete(row.op_id, { shard, op_id: row.op_id }, () => complete(JSON.parse(args))))
              completed++;
          } catch (err) {
            // Left recorded for the next round; one that cannot complete must not hold up the others.
            this.deps.warn?.(`completing ${row.kind} ${row.op_id} failed`, err);
          }
        }
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    return completed;
  }

  /** How many operations are recorded now, for operators and tests. */
  async pending(): Promise<number> {
    let count = 0;
    for (let shard = 0; shard < JOURNAL_SHARDS; shard++) {
      let pageToken: string | undefined;
      do {
        const page = await this.deps.store.slice(pendingWrites, { shard }, { limit: 500, pageToken });
        count += page.rows.length;
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    return count;
  }

  private async complete(
    opId: string,
    key: { shard: number; op_id: string },
    task: () => Promise<void>,
  ): Promise<boolean> {
    const lease = await this.deps.store.insertIfAbsent(
      pendingWriteLeases,
      { op_id: opId, holder: this.deps.holder },
      LEASE,
    );
    if (!lease.applied) return false;
    try {
      await task();
      await this.deps.store.delete(pendingWrites, key);
      return true;
    } finally {
      await this.deps.store
        .deleteIf(pendingWriteLeases, { op_id: opId }, { holder: this.deps.holder })
        .catch(() => undefined);
    }
  }
}

function shardOf(opId: string): number {
  return Number(BigInt(opId) % BigInt(JOURNAL_SHARDS));
}
