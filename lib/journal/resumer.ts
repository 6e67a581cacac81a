import { JOURNAL_KEEP_MS } from "./tables";
import type { WriteJournal } from "./write-journal";

/**
 * Completes what the journal holds: at start-up whatever the last day left, and then every `everyMs` whatever
 * began within `lookbackMs` and is older than `olderThanMs`, long enough that the node running it has surely
 * finished or died (a request's writes take well under the request timeout). Looking back a few minutes only keeps
 * each round to a few partitions; an operation stays in that window for minutes while every live node looks.
 */
export class JournalResumer {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;

  constructor(
    private readonly journal: WriteJournal,
    private readonly options: {
      everyMs: number;
      olderThanMs: number;
      lookbackMs: number;
      warn: (message: string, err: unknown) => void;
    },
  ) {}

  /**
   * Completes operations cut short before this start. `alone`: no other node can be running any of them (an
   * embedded node), so all of them, whatever their age, before the node takes requests.
   */
  async start(alone: boolean): Promise<number> {
    if (alone) {
      const completed = await this.journal.resume(0, JOURNAL_KEEP_MS);
      this.schedule();
      return completed;
    }
    // Others may be running what is younger; what a whole cluster's stop left is looked for in the background.
    void this.round(JOURNAL_KEEP_MS).finally(() => this.schedule());
    return 0;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setInterval(() => void this.round(this.options.lookbackMs), this.options.everyMs);
    this.timer.unref();
  }

  private async round(lookbackMs: number): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.journal.resume(this.options.olderThanMs, lookbackMs);
    } catch (err) {
      this.options.warn("completing journalled writes failed", err);
    } finally {
      this.running = false;
    }
  }
}
