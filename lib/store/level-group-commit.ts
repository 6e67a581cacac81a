import type { Db, DbOp } from "./level-rows";

interface Group {
  ops: DbOp[];
  done: { resolve: () => void; reject: (err: unknown) => void }[];
}

/** Past this many operations a group is written at once rather than at the end of the turn. */
const MAX_GROUP_OPS = 20_000;

/**
 * Writes the batches committed during one turn of the event loop as one LevelDB batch. Each `db.batch` call has a
 * fixed cost far above that of its rows (a native call, the write-ahead log's lock and append): a fan-out page of
 * 500 followers, each row its own partition and so its own commit, cost 500 of them. Partitions stay isolated: a
 * commit still holds its partition's lock until the group it joined is written, so the next write of that
 * partition reads what it wrote, and each commit's operations land together with the group or not at all.
 */
export class GroupCommit {
  private group: Group | undefined;

  constructor(private readonly db: Db) {}

  write(ops: readonly DbOp[]): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    const group = this.group ?? this.open();
    for (const op of ops) group.ops.push(op);
    const written = new Promise<void>((resolve, reject) => group.done.push({ resolve, reject }));
    if (group.ops.length >= MAX_GROUP_OPS) this.flush(group);
    return written;
  }

  private open(): Group {
    const group: Group = { ops: [], done: [] };
    this.group = group;
    setImmediate(() => this.flush(group));
    return group;
  }

  private flush(group: Group): void {
    if (this.group !== group) return; // written already (it grew past the bound)
    this.group = undefined;
    this.db.batch(group.ops).then(
      () => group.done.forEach((d) => d.resolve()),
      (err: unknown) => group.done.forEach((d) => d.reject(err)),
    );
  }
}
