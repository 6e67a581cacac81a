import path from "node:path";
import { Worker } from "node:worker_threads";
import { SearchIndexClosedError, SearchUnavailableError } from "../errors";
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
import type {
  IndexThreadCall,
  IndexThreadMethod,
  IndexThreadMethods,
  IndexThreadOptions,
  IndexThreadReply,
} from "./thread-protocol";
import { errorOfThread } from "./thread-protocol";

/** The worker's entry beside this file: .ts when run through tsx, .js once built. */
const THREAD_ENTRY = path.join(__dirname, `index-thread${path.extname(__filename)}`);

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  timer?: NodeJS.Timeout;
}

/** One run of the thread: the worker, whether its index opened, and the calls it has not answered yet. */
interface IndexThread {
  worker: Worker;
  ready: Promise<void>;
  open: boolean;
  pending: Map<number, PendingCall>;
  /** Why it ended, when an uncaught error ended it. */
  failure?: unknown;
  /** Ended by us (its index did not open): its exit is no loss to report. */
  dismissed?: boolean;
}

export interface ThreadedSearchIndexOptions extends IndexThreadOptions {
  /** The thread's old-generation heap, in MiB; past it the thread dies (V8's own limit when absent). */
  heapLimitMb?: number;
  /** A thread that died is started again by the next call, but not sooner than this after the last start. */
  restartAfterMs?: number;
  /**
   * How long a query (and a count, a list of generations, a readiness check) may wait for the thread before it
   * fails with SearchUnavailableError, as an OpenSearch request does after SEARCH_TIMEOUT_MS; changes have no
   * deadline, since they are answered only once written. Unbounded when absent.
   */
  queryTimeoutMs?: number;
  /** The thread's script; tests start one that can be made to die. */
  entry?: string;
}

const RESTART_AFTER_MS = 1_000;

/**
 * The embedded index on a thread of its own: the same EmbeddedSearchIndex, its log and snapshots, run in a
 * worker and called through messages. A query's scoring (a fifth of a millisecond for people, up to 20 ms for a
 * caption search matching thousands of posts) and a reindex's bulk adds then run beside the node's requests
 * instead of between them, as a search engine's own process would; the node's event loop only sends the query
 * and reads the ids back.
 *
 * A thread that dies (out of memory, a native crash) fails the calls it had not answered with
 * SearchUnavailableError; the next call starts it again (at most once a second). On a folder the new thread
 * replays the log, so nothing acknowledged is lost: a change is answered only once the thread has written it to
 * the log (an index in memory only comes back empty). A query waits at most `queryTimeoutMs` for its answer.
 */
export class ThreadedSearchIndex implements SearchIndex {
  readonly generations: SearchGenerations = {
    live: () => this.read("live"),
    create: () => this.call("create"),
    promote: (generation) => this.call("promote", generation),
    drop: (generation) => this.call("drop", generation),
    list: () => this.read("list"),
  };

  private thread: IndexThread | undefined;
  private opened = false;
  private closing: Promise<void> | undefined;
  private lastStart = -Infinity;
  private lost: SearchUnavailableError | undefined;
  private id: string | undefined;
  private nextCall = 0;
  private readonly restartAfterMs: number;

  constructor(private readonly options: ThreadedSearchIndexOptions) {
    this.restartAfterMs = options.restartAfterMs ?? RESTART_AFTER_MS;
  }

  /** Opens the index on a new thread; after a failed open (or a thread that died), asking again tries again. */
  open(): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(new SearchIndexClosedError());
    this.opened = true;
    return this.running().then(() => undefined);
  }

  identity(): string {
    if (this.id === undefined) throw new SearchUnavailableError("the search index is not open");
    return this.id;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  async isReady(): Promise<boolean> {
    const thread = this.thread;
    if (thread === undefined || !thread.open || this.closing !== undefined) return false;
    return this.send(thread, this.options.queryTimeoutMs, "isReady").catch(() => false);
  }

  apply(ops: readonly IndexOp[], generation?: string): Promise<void> {
    return generation === undefined ? this.call("apply", ops) : this.call("apply", ops, generation);
  }

  searchUsers(query: UserQuery): Promise<SearchHits> {
    return this.read("searchUsers", query);
  }

  searchTags(query: TagQuery): Promise<TagHits> {
    return this.read("searchTags", query);
  }

  searchPosts(query: PostQuery): Promise<SearchHits> {
    return this.read("searchPosts", query);
  }

  count(type: SearchType, generation?: string): Promise<number> {
    return generation === undefined ? this.read("count", type) : this.read("count", type, generation);
  }

  /** The bytes the thread's heap uses now; undefined without a thread, or on a Node without the call (< 22.16). */
  async heapUsedBytes(): Promise<number | undefined> {
    const worker = this.thread?.worker;
    if (worker === undefined || typeof worker.getHeapStatistics !== "function") return undefined;
    try {
      return (await worker.getHeapStatistics()).used_heap_size;
    } catch {
      // The thread ended between the check and the answer.
      return undefined;
    }
  }

  private call<M extends IndexThreadMethod>(
    method: M,
    ...args: Parameters<IndexThreadMethods[M]>
  ): Promise<ReturnType<IndexThreadMethods[M]>> {
    return this.ask(undefined, method, ...args);
  }

  /** A call that only reads: it has the query deadline. */
  private read<M extends IndexThreadMethod>(
    method: M,
    ...args: Parameters<IndexThreadMethods[M]>
  ): Promise<ReturnType<IndexThreadMethods[M]>> {
    return this.ask(this.options.queryTimeoutMs, method, ...args);
  }

  private ask<M extends IndexThreadMethod>(
    deadlineMs: number | undefined,
    method: M,
    ...args: Parameters<IndexThreadMethods[M]>
  ): Promise<ReturnType<IndexThreadMethods[M]>> {
    if (this.closing !== undefined) return Promise.reject(new SearchIndexClosedError());
    if (!this.opened) return Promise.reject(new SearchUnavailableError("the search index is not open yet"));
    const thread = this.thread;
    if (thread?.open) return this.send(thread, deadlineMs, method, ...args);
    return this.running().then((started) => this.send(started, deadlineMs, method, ...args));
  }

  /** The thread, started (again) if there is none; a restart waits `restartAfterMs` after the last start. */
  private async running(): Promise<IndexThread> {
    let thread = this.thread;
    if (thread === undefined) {
      if (performance.now() - this.lastStart < this.restartAfterMs) {
        throw this.lost ?? new SearchUnavailableError("the search index thread is not running");
      }
      thread = this.start();
    }
    await thread.ready;
    return thread;
  }

  private start(): IndexThread {
    this.lastStart = performance.now();
    const {
      heapLimitMb,
      restartAfterMs: _restart,
      queryTimeoutMs: _deadline,
      entry,
      ...options
    } = this.options;
    const worker = new Worker(entry ?? THREAD_ENTRY, {
      workerData: options,
      ...(heapLimitMb !== undefined && { resourceLimits: { maxOldGenerationSizeMb: heapLimitMb } }),
    });
    // Idle, the thread keeps no process alive; a call in flight does (see send()).
    worker.unref();
    const thread: IndexThread = { worker, ready: Promise.resolve(), open: false, pending: new Map() };
    worker.on("message", (reply: IndexThreadReply) => this.settle(thread, reply));
    // An uncaught error ends the thread: its exit, which follows, fails the calls.
    worker.on("error", (error) => (thread.failure = error));
    worker.on("exit", (code) => this.ended(thread, code));
    this.thread = thread;
    thread.ready = this.send(thread, undefined, "open").then(
      (id) => {
        this.id = id;
        this.lost = undefined;
        thread.open = true;
      },
      async (error: unknown) => {
        // An index that cannot open (a folder it cannot read) is tried again by a later open or call, which
        // meanwhile get this reason.
        if (this.thread === thread) this.thread = undefined;
        if (error instanceof SearchUnavailableError) this.lost = error;
        thread.dismissed = true;
        await worker.terminate();
        throw error;
      },
    );
    return thread;
  }

  private async shutdown(): Promise<void> {
    const thread = this.thread;
    if (thread === undefined) return;
    await thread.ready.catch(() => undefined);
    if (this.thread !== thread) return;
    try {
      await this.send(thread, undefined, "close");
    } finally {
      this.thread = undefined;
      await thread.worker.terminate();
    }
  }

  private send<M extends IndexThreadMethod>(
    thread: IndexThread,
    deadlineMs: number | undefined,
    method: M,
    ...args: Parameters<IndexThreadMethods[M]>
  ): Promise<ReturnType<IndexThreadMethods[M]>> {
    const id = this.nextCall++;
    // TypeScript cannot tie `args` to `method` through the generic; the pair is the one the caller typed.
    const message = { id, method, args } as IndexThreadCall;
    return new Promise<ReturnType<IndexThreadMethods[M]>>((resolve, reject) => {
      // The thread answers `method` with its own result type (index-thread.ts runs the same method).
      const call: PendingCall = { resolve: resolve as (value: unknown) => void, reject };
      if (deadlineMs !== undefined) {
        call.timer = setTimeout(() => {
          // The answer, if it comes, finds no call and is dropped.
          this.forget(thread, id);
          reject(new SearchUnavailableError(`the search index did not answer within ${deadlineMs} ms`));
        }, deadlineMs);
        call.timer.unref();
      }
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, call);
      try {
        thread.worker.postMessage(message);
      } catch (error: unknown) {
        // A query that cannot be copied (a DataCloneError) never reached the thread.
        this.forget(thread, id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private settle(thread: IndexThread, reply: IndexThreadReply): void {
    const call = thread.pending.get(reply.id);
    if (call === undefined) return;
    this.forget(thread, reply.id);
    if (reply.ok) call.resolve(reply.value);
    else call.reject(errorOfThread(reply.error));
  }

  private forget(thread: IndexThread, id: number): void {
    clearTimeout(thread.pending.get(id)?.timer);
    thread.pending.delete(id);
    if (thread.pending.size === 0) thread.worker.unref();
  }

  /** The thread is gone: what it had not answered fails, and the next call starts another. */
  private ended(thread: IndexThread, code: number): void {
    if (this.thread === thread) this.thread = undefined;
    let error: SearchIndexClosedError | SearchUnavailableError;
    if (this.closing !== undefined) error = new SearchIndexClosedError();
    else if (thread.dismissed) error = new SearchUnavailableError("the search index did not open");
    else {
      const cause = thread.failure ?? new Error(`exit code ${code}`);
      error = this.lost = new SearchUnavailableError("the search index thread stopped", { cause });
    }
    for (const [id, call] of thread.pending) {
      this.forget(thread, id);
      call.reject(error);
    }
  }
}
