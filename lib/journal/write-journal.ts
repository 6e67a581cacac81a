import { AppError } from "../errors";
import type { WideRowStore } from "../store/store";
import { journalOps, type Completer, type JournalArgs, type JournalOp } from "./ops";
import type { PrimaryKey, Row } from "../store/schema";
import {
  JOURNAL_KEEP_MS,
  JOURNAL_SHARDS,
  pendingWriteLeases,
  pendingWriteMinutes,
  pendingWrites,
} from "./tables";
import { LruMap } from "../concurrency/lru-map";

/** Minutes this node remembers having indexed. */
const NOTED_MINUTES = 8;
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
  /** Minutes whose index row this node wrote (the latest few). */
  private readonly notedMinutes = new LruMap<number, true>(NOTED_MINUTES);

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
    const minute = minuteOf(this.now());
    await this.noteMinute(minute);
    const key = { minute, shard: shardOf(opId), op_id: opId };
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
   * Completes the recorded operations older than `olderThanMs` and younger than `lookbackMs` whose kind this node
   * knows (older than 0 at start-up of a single node, when nothing can still be running them); answers how many
   * it completed.
   */
  async resume(olderThanMs: number, lookbackMs: number): Promise<number> {
    const cutoff = this.now() - olderThanMs;
    let completed = 0;
    for await (const { key, row } of this.recorded(lookbackMs, olderThanMs)) {
      if ((row.created_at?.getTime() ?? 0) > cutoff) continue;
      const complete = this.completers.get(row.kind as JournalOp);
      const args = row.args;
      if (complete === undefined || args === undefined) continue;
      try {
        if (await this.complete(key, () => complete(JSON.parse(args)))) completed++;
      } catch (err) {
        // Left recorded for the next round; one that cannot complete must not hold up the others.
        this.deps.warn?.(`completing ${row.kind} ${row.op_id} failed`, err);
      }
    }
    return completed;
  }

  /** How many operations begun within `lookbackMs` are recorded now, for operators and tests. */
  async pending(lookbackMs = JOURNAL_KEEP_MS): Promise<number> {
    let count = 0;
    for await (const _ of this.recorded(lookbackMs, 0)) count++;
    return count;
  }

  /** The index row of `minute` goes before its first operation, so no resumer misses one. */
  private async noteMinute(minute: number): Promise<void> {
    if (this.notedMinutes.has(minute)) return;
    await this.deps.store.put(pendingWriteMinutes, { day: dayOf(minute), minute });
    this.notedMinutes.set(minute, true);
  }

  /** The recorded operations begun between `fromMs` and `toMs` ago, minute by minute. */
  private async *recorded(
    fromMs: number,
    toMs: number,
  ): AsyncGenerator<{ key: PendingKey; row: Row<typeof pendingWrites> }> {
    const now = this.now();
    const [first, last] = [minuteOf(now - fromMs), minuteOf(now - toMs)];
    for (const minute of await this.minutesBetween(first, last)) {
      for (let shard = 0; shard < JOURNAL_SHARDS; shard++) {
        let pageToken: string | undefined;
        do {
          const page = await this.deps.store.slice(
            pendingWrites,
            { minute, shard },
            { limit: 200, pageToken },
          );
          for (const row of page.rows) yield { key: { minute, shard, op_id: row.op_id }, row };
          pageToken = page.nextPageToken;
        } while (pageToken);
      }
    }
  }

  /** The minutes from `first` to `last` that the index names. */
  private async minutesBetween(first: number, last: number): Promise<number[]> {
    const minutes: number[] = [];
    for (let day = dayOf(first); day <= dayOf(last); day++) {
      let pageToken: string | undefined;
      do {
        const page = await this.deps.store.slice(
          pendingWriteMinutes,
          { day },
          { limit: 1_000, gte: { minute: first }, lte: { minute: last }, pageToken },
        );
        minutes.push(...page.rows.map((row) => row.minute));
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    return minutes;
  }

  private async complete(key: PendingKey, task: () => Promise<void>): Promise<boolean> {
    const opId = key.op_id;
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

type PendingKey = PrimaryKey<typeof pendingWrites>;

function dayOf(minute: number): number {
  return Math.floor(minute / 1_440);
}

function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000);
}

function shardOf(opId: string): number {
  return Number(BigInt(opId) % BigInt(JOURNAL_SHARDS));
}
