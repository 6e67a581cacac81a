import { SearchUnavailableError } from "./errors";
import type { SearchIndexer } from "./indexer";
import type { ReindexProgress, SearchReindexer } from "./reindex";
import type { SearchIndex } from "./search-index";

const ROUND_EVERY_MS = 1_000;
const REOPEN_EVERY_MS = 2_000;

/**
 * The search node's background work: opens the index (again and again while the engine is down), applies the
 * outbox's jobs every second and at once when a writer says it recorded some, resumes a reindex cut short, and
 * fills an index found empty from the store (a new engine, or DATA_DIR/search lost) so nothing written before it
 * existed stays unsearchable.
 */
export class SearchWorker {
  private opened: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private reindexing: Promise<ReindexProgress> | undefined;

  constructor(
    private readonly deps: {
      index: SearchIndex;
      indexer: SearchIndexer;
      reindexer: SearchReindexer;
      /** The store holds accounts: an empty index then needs a reindex. */
      storeHasAccounts: () => Promise<boolean>;
      warn: (message: string, err?: unknown) => void;
      info: (message: string) => void;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), ROUND_EVERY_MS);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await this.deps.indexer.release().catch(() => undefined);
  }

  /** Runs a round now, or right after the one running (so jobs recorded during a round are not left a second). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves once the index is open; rejects with SearchUnavailableError while the engine cannot be reached. */
  async ready(): Promise<void> {
    this.opened ??= this.open();
    return this.opened;
  }

  /** Starts (or resumes) a reindex in the background; answers its progress so far. */
  reindex(restart: boolean): Promise<ReindexProgress> {
    if (this.reindexing && !restart) return this.reindexing;
    const run = this.deps.reindexer.run({ restart });
    this.reindexing = run;
    void run
      .then((done) => this.deps.info(`search reindex done: ${done.done} accounts into ${done.generation}`))
      .catch((err: unknown) => this.deps.warn("search reindex stopped (it resumes on the next start)", err))
      .finally(() => {
        if (this.reindexing === run) this.reindexing = undefined;
      });
    return run;
  }

  private async open(): Promise<void> {
    try {
      await this.deps.index.open();
    } catch (err) {
      // Tried again on a later round or query; meanwhile searches answer 503.
      setTimeout(() => (this.opened = undefined), REOPEN_EVERY_MS).unref();
      throw err instanceof SearchUnavailableError
        ? err
        : new SearchUnavailableError("the search index could not be opened", { cause: err });
    }
    void this.fillIfEmpty().catch((err: unknown) => this.deps.warn("checking the search index failed", err));
  }

  private async fillIfEmpty(): Promise<void> {
    if (await this.deps.reindexer.status()) {
      void this.reindex(false).catch(() => undefined);
      return;
    }
    const counts = await Promise.all(
      (["user", "post", "tag"] as const).map((type) => this.deps.index.count(type)),
    );
    if (counts.every((n) => n === 0) && (await this.deps.storeHasAccounts())) {
      this.deps.info("the search index is empty and the store is not: rebuilding it from the store");
      void this.reindex(false).catch(() => undefined);
    }
  }

  private async round(): Promise<void> {
    try {
      await this.ready();
      await this.deps.indexer.round();
    } catch (err) {
      // Jobs stay in the outbox and the next round tries again: an outage delays search, it loses nothing.
      this.deps.warn("applying search jobs failed", err instanceof Error ? err.message : err);
    }
  }
}
