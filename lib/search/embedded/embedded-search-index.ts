import { randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename } from "node:fs/promises";
import path from "node:path";
import {
  LiveGenerationDropError,
  SearchIndexClosedError,
  SearchUnavailableError,
  UnknownGenerationError,
} from "../errors";
import type {
  IndexOp,
  PostQuery,
  SearchGenerations,
  SearchHits,
  SearchIndex,
  SearchType,
  TagHits,
  TagQuery,
  UserQuery,
} from "../search-index";
import type { LogEntry } from "./files";
import {
  AppendLog,
  LOG_FILE,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_1,
  readLog,
  readSnapshot,
  removeSnapshotTemps,
  writeSnapshot,
} from "./files";
import { partsOfTypeSnapshot, type GenerationParts, type TypePart, type TypeSnapshot } from "./generation";
import { SEARCH_TYPES, SearchGeneration } from "./generation";
import { assertIndexOp } from "../index-ops";

export interface EmbeddedSearchIndexOptions {
  /** The folder of the snapshot and the log (DATA_DIR/search); undefined keeps everything in memory only. */
  dir: string | undefined;
  /** A snapshot is written after this many ops (and on close), and the log emptied. Defaults to 50,000. */
  snapshotEveryOps?: number;
  /** Documents, postings or versions per snapshot line. Defaults to SNAPSHOT_PART_SIZE (tests make it small). */
  snapshotPartSize?: number;
  /** How long deletions are remembered. Defaults to an hour; never under the ten minutes the port promises. */
  tombstoneMs?: number;
  now?: () => number;
}

const DEFAULT_SNAPSHOT_EVERY_OPS = 50_000;
/**
 * Documents, postings (a term in a document) or versions per snapshot line: each line takes about 3 ms to make,
 * and the longest turn of a snapshot of 200,000 posts was 32 ms (`npm run bench:search-snapshot`).
 */
const SNAPSHOT_PART_SIZE = 2_000;
const MIN_TOMBSTONE_MS = 10 * 60_000;
const DEFAULT_TOMBSTONE_MS = 60 * 60_000;

type Request =
  | { kind: "apply"; generation: string | undefined; ops: IndexOp[] }
  | { kind: "create" }
  | { kind: "promote"; generation: string }
  | { kind: "drop"; generation: string };

interface Pending {
  request: Request;
  /** Resolves with the generation the request was about. */
  resolve: (generation: string) => void;
  reject: (error: unknown) => void;
}

interface SnapshotHeader {
  format: string;
  seq: number;
  live: string;
  generations: string[];
}

/**
 * The search port in process: one MiniSearch instance per type and generation (see SearchGeneration), made
 * durable by a log and snapshots when it has a folder (see files.ts for the layout).
 *
 * Every change (a batch of ops, a generation made, promoted or dropped) goes through one queue: the requests
 * waiting while the previous group was written form the next group, which is checked against the generations,
 * appended to the log in one write and one fsync, and only then applied in memory and acknowledged. A change is
 * thus durable and searchable when its promise resolves, and the log holds the changes in the order they were
 * applied, so that a replay rebuilds the same state. Queries read memory directly and never wait for the queue.
 */
export class EmbeddedSearchIndex implements SearchIndex {
  readonly generations: SearchGenerations;

  private readonly dir: string | undefined;
  private readonly snapshotEveryOps: number;
  private readonly snapshotPartSize: number;
  private readonly tombstoneMs: number;
  private readonly now: () => number;

  private state: "new" | "open" | "closing" | "closed" = "new";
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** A log that can no longer be appended to: every change fails until a restart. */
  private failure: SearchUnavailableError | undefined;

  private readonly all = new Map<string, SearchGeneration>();
  private liveName = "";
  private log: AppendLog | undefined;
  /** The sequence number of the last change applied (or refused by a failed write). */
  private seq = 0;
  /** Ops (and generation changes) applied since the last snapshot. */
  private sinceSnapshot = 0;
  private readonly queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  /** See identity(); kept in the folder, so it is the same after a restart. */
  private id: string | undefined;

  constructor(options: EmbeddedSearchIndexOptions) {
    this.dir = options.dir === undefined ? undefined : path.resolve(options.dir);
    this.snapshotEveryOps = Math.max(1, options.snapshotEveryOps ?? DEFAULT_SNAPSHOT_EVERY_OPS);
    this.snapshotPartSize = Math.max(1, options.snapshotPartSize ?? SNAPSHOT_PART_SIZE);
    this.tombstoneMs = Math.max(MIN_TOMBSTONE_MS, options.tombstoneMs ?? DEFAULT_TOMBSTONE_MS);
    this.now = options.now ?? Date.now;
    this.generations = {
      live: () => this.read(() => this.liveName),
      create: () => this.change({ kind: "create" }),
      promote: async (generation) => {
        await this.change({ kind: "promote", generation });
      },
      drop: async (generation) => {
        await this.change({ kind: "drop", generation });
      },
      list: () => this.read(() => [...this.all.keys()]),
    };
  }

  open(): Promise<void> {
    this.opening ??= this.load();
    return this.opening;
  }

  identity(): string {
    if (this.id === undefined) throw new SearchUnavailableError("the search index is not open");
    return `embedded:${this.id}`;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  isReady(): Promise<boolean> {
    return Promise.resolve(this.state === "open" && this.failure === undefined);
  }

  async apply(ops: readonly IndexOp[], generation?: string): Promise<void> {
    this.assertOpen();
    const checked = ops.map(assertIndexOp);
    if (checked.length === 0) {
      if (generation !== undefined) this.generationNamed(generation);
      return;
    }
    await this.change({ kind: "apply", generation, ops: checked });
  }

  searchUsers(query: UserQuery): Promise<SearchHits> {
    return this.read(() => this.live().searchUsers(query));
  }

  searchTags(query: TagQuery): Promise<TagHits> {
    return this.read(() => this.live().searchTags(query));
  }

  searchPosts(query: PostQuery): Promise<SearchHits> {
    return this.read(() => this.live().searchPosts(query));
  }

  count(type: SearchType, generation?: string): Promise<number> {
    return this.read(() => this.generationNamed(generation ?? this.liveName).count(type));
  }

  // ---- opening and closing ----

  private async load(): Promise<void> {
    if (this.state !== "new") throw new SearchIndexClosedError();
    this.id = randomUUID();
    if (this.dir !== undefined) {
      try {
        await mkdir(this.dir, { recursive: true });
        this.id = await keptIdentity(this.dir, this.id);
        await removeSnapshotTemps(this.dir);
        await this.restoreSnapshot(this.dir);
        const logFile = path.join(this.dir, LOG_FILE);
        const { entries, validBytes } = await readLog(logFile);
        for (const entry of entries) {
          // Lines at or below the snapshot's number are in it already: the log was not emptied before a crash.
          if (entry.seq <= this.seq) continue;
          this.replay(entry);
          this.seq = entry.seq;
          this.sinceSnapshot += entry.kind === "apply" ? entry.ops.length : 1;
        }
        this.log = await AppendLog.open(logFile, validBytes);
      } catch (error: unknown) {
        this.all.clear();
        throw new SearchUnavailableError(`the search index in ${this.dir} cannot be opened`, {
          cause: error,
        });
      }
    }
    // close() may have been called while the files were read.
    if (this.closing !== undefined) throw new SearchIndexClosedError();
    this.state = "open";
    if (this.all.size === 0) await this.change({ kind: "create" });
  }

  private async restoreSnapshot(dir: string): Promise<void> {
    const lines = await readSnapshot(dir);
    if (lines === undefined) return;
    const [headerLine, ...rest] = lines;
    const header = parseHeader(headerLine);
    const parts = new Map<string, Record<SearchType, TypePart[]>>();
    for (const line of rest) {
      const { generation, type, ...part } = JSON.parse(line) as { generation: string; type: SearchType } & (
        TypePart | TypeSnapshot
      );
      const ofGeneration = parts.get(generation) ?? { user: [], post: [], tag: [] };
      parts.set(generation, ofGeneration);
      // Format 1 wrote each type whole, in one line.
      if (header.format === SNAPSHOT_FORMAT_1)
        ofGeneration[type].push(...partsOfTypeSnapshot(part as TypeSnapshot));
      else ofGeneration[type].push(part);
    }
    for (const name of header.generations) {
      const restored: GenerationParts | undefined = parts.get(name);
      if (restored === undefined || SEARCH_TYPES.some((type) => restored[type].length === 0)) {
        throw new Error(`the search snapshot lacks a part of generation ${name}`);
      }
      this.all.set(name, new SearchGeneration(name, restored));
    }
    if (!this.all.has(header.live)) {
      throw new Error(`the search snapshot's live generation ${header.live} is missing`);
    }
    this.liveName = header.live;
    this.seq = header.seq;
  }

  private async shutdown(): Promise<void> {
    const wasOpen = this.state === "open";
    this.state = "closing";
    try {
      await this.opening?.catch(() => undefined);
      while (this.draining !== undefined) await this.draining;
      if (wasOpen && this.log !== undefined && this.failure === undefined && this.sinceSnapshot > 0) {
        try {
          await this.snapshot();
        } catch (error: unknown) {
          throw new SearchUnavailableError("the search snapshot could not be written on close", {
            cause: error,
          });
        }
      }
    } finally {
      await this.log?.close().catch(() => undefined);
      this.log = undefined;
      this.all.clear();
      this.state = "closed";
    }
  }

  // ---- changes ----

  private change(request: Request): Promise<string> {
    // A throw in the executor (the index is closed) rejects the promise.
    return new Promise<string>((resolve, reject) => {
      this.assertOpen();
      this.queue.push({ request, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    // Yields first, so that `draining` is set before it is cleared, and the requests of this turn join the group.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        await this.commit(this.queue.splice(0, this.queue.length));
        if (this.log !== undefined && this.sinceSnapshot >= this.snapshotEveryOps) {
          try {
            await this.snapshot();
          } catch {
            // Nothing is lost: the log still holds every change. The next attempt waits for as many more ops,
            // so that a full disk does not turn every batch into a failed snapshot.
            this.sinceSnapshot = 0;
          }
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  /**
   * Checks each request against the generations as the requests before it in the group leave them, logs those
   * that hold in one write, then applies and acknowledges them in order.
   */
  private async commit(group: Pending[]): Promise<void> {
    const names = new Set(this.all.keys());
    let live = this.liveName;
    const accepted: { pending: Pending; entry: LogEntry }[] = [];
    for (const pending of group) {
      const { request } = pending;
      let entry: LogEntry;
      switch (request.kind) {
        case "apply": {
          const generation = request.generation ?? live;
          if (!names.has(generation)) {
            pending.reject(new UnknownGenerationError(generation));
            continue;
          }
          entry = { seq: ++this.seq, kind: "apply", generation, at: this.now(), ops: request.ops };
          break;
        }
        case "create": {
          const seq = ++this.seq;
          const generation = generationName(this.now(), seq, names);
          names.add(generation);
          if (live === "") live = generation;
          entry = { seq, kind: "create", generation };
          break;
        }
        case "promote": {
          const { generation } = request;
          if (!names.has(generation)) {
            pending.reject(new UnknownGenerationError(generation));
            continue;
          }
          if (generation === live) {
            // Promoted already (a reindex resuming after a crash asks again): nothing to do.
            pending.resolve(generation);
            continue;
          }
          names.delete(live);
          live = generation;
          entry = { seq: ++this.seq, kind: "promote", generation };
          break;
        }
        case "drop": {
          const { generation } = request;
          if (!names.has(generation)) {
            pending.reject(new UnknownGenerationError(generation));
            continue;
          }
          if (generation === live) {
            pending.reject(new LiveGenerationDropError(generation));
            continue;
          }
          names.delete(generation);
          entry = { seq: ++this.seq, kind: "drop", generation };
          break;
        }
      }
      accepted.push({ pending, entry });
    }
    if (accepted.length === 0) return;

    if (this.log !== undefined) {
      try {
        await this.log.append(accepted.map(({ entry }) => `${JSON.stringify(entry)}\n`).join(""));
      } catch (error: unknown) {
        const failure = new SearchUnavailableError("the search log could not be written", { cause: error });
        if (this.log.broken) this.failure = failure;
        for (const { pending } of accepted) pending.reject(failure);
        return;
      }
    }
    for (const { pending, entry } of accepted) {
      try {
        this.replay(entry);
        this.sinceSnapshot += entry.kind === "apply" ? entry.ops.length : 1;
        pending.resolve(entry.generation);
      } catch (error: unknown) {
        pending.reject(error);
      }
    }
  }

  /** Applies one logged change to memory: the same code for a live change and a replayed one. */
  private replay(entry: LogEntry): void {
    switch (entry.kind) {
      case "apply":
        this.all.get(entry.generation)?.apply(entry.ops, entry.at, this.tombstoneMs);
        break;
      case "create":
        if (this.all.has(entry.generation)) break;
        this.all.set(entry.generation, new SearchGeneration(entry.generation));
        if (this.liveName === "") this.liveName = entry.generation;
        break;
      case "promote":
        if (!this.all.has(entry.generation) || entry.generation === this.liveName) break;
        this.all.delete(this.liveName);
        this.liveName = entry.generation;
        break;
      case "drop":
        if (entry.generation !== this.liveName) this.all.delete(entry.generation);
        break;
    }
  }

  /** Writes everything applied so far as the snapshot, then empties the log it replaces. */
  private async snapshot(): Promise<void> {
    if (this.dir === undefined || this.log === undefined) return;
    await writeSnapshot(this.dir, this.snapshotLines());
    await this.log.reset();
    this.sinceSnapshot = 0;
  }

  /**
   * Made one at a time as they are written, each of at most `snapshotPartSize` documents, postings or versions: the
   * write of each line gives the event loop back, so a snapshot of a large index is many short turns rather than
   * one long one (nothing is applied meanwhile: `drain` waits for it).
   */
  private *snapshotLines(): Generator<string> {
    const header: SnapshotHeader = {
      format: SNAPSHOT_FORMAT,
      seq: this.seq,
      live: this.liveName,
      generations: [...this.all.keys()],
    };
    yield JSON.stringify(header);
    for (const generation of this.all.values()) {
      for (const type of SEARCH_TYPES) {
        for (const part of generation.snapshotParts(type, this.snapshotPartSize)) {
          yield JSON.stringify({ generation: generation.name, type, ...part });
        }
      }
    }
  }

  // ---- reading ----

  private assertOpen(): void {
    if (this.state === "closing" || this.state === "closed") throw new SearchIndexClosedError();
    if (this.state !== "open") throw new SearchUnavailableError("the search index is not open yet");
    if (this.failure !== undefined) throw this.failure;
  }

  /** Runs a query on memory as it is now, as a promise (rejected when the index is not open). */
  private read<T>(query: () => T): Promise<T> {
    return new Promise<T>((resolve) => {
      this.assertOpen();
      resolve(query());
    });
  }

  private live(): SearchGeneration {
    return this.generationNamed(this.liveName);
  }

  private generationNamed(name: string): SearchGeneration {
    const generation = this.all.get(name);
    if (generation === undefined) throw new UnknownGenerationError(name);
    return generation;
  }
}

function parseHeader(line: string | undefined): SnapshotHeader {
  const value: unknown = line === undefined ? undefined : JSON.parse(line);
  if (typeof value !== "object" || value === null) throw new Error("the search snapshot has no header");
  const { format, seq, live, generations } = value as Record<string, unknown>;
  if (
    (format !== SNAPSHOT_FORMAT && format !== SNAPSHOT_FORMAT_1) ||
    typeof seq !== "number" ||
    typeof live !== "string" ||
    !Array.isArray(generations) ||
    !generations.every((name) => typeof name === "string")
  ) {
    throw new Error(`the search snapshot is not in the ${SNAPSHOT_FORMAT} format`);
  }
  return { format, seq, live, generations };
}

/**
 * `mosaic-20261205t231500`, the name OpenSearch's generations have too; the sequence number is added when the
 * name is taken (two generations made within a second).
 */
function generationName(now: number, seq: number, taken: ReadonlySet<string>): string {
  const stamp = new Date(now).toISOString().slice(0, 19).replace(/[-:]/g, "").toLowerCase();
  const name = `mosaic-${stamp}`;
  return taken.has(name) ? `${name}-${seq}` : name;
}

const IDENTITY_FILE = "identity";

/** The id written in the folder by the first open, or `fresh` written there now (fsync'd, then renamed in). */
async function keptIdentity(dir: string, fresh: string): Promise<string> {
  const file = path.join(dir, IDENTITY_FILE);
  try {
    const kept = (await readFile(file, "utf8")).trim();
    if (/^[0-9a-f-]{36}$/.test(kept)) return kept;
  } catch (error: unknown) {
    if (!(error instanceof Error && "code" in error && error.code === "ENOENT")) throw error;
  }
  const temp = `${file}.tmp`;
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(fresh);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  return fresh;
}
