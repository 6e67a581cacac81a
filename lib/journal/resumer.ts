import type { WriteJournal } from "./write-journal";

/**
 * Completes what the journal holds: once at start-up, and then every `everyMs` whatever is older than
 * `olderThanMs`, long enough that the node running it has surely finished or died (a request's writes take
 * well under the request timeout).
 */
export class JournalResumer {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly journal: WriteJournal,
    private readonly options: {
      everyMs: number;
      olderThanMs: number;
      warn: (message: string, err: unknown) => void;
    },
  ) {}

  /**
   * Completes operations cut short before this start. `alone`: no other node can be running any of them (an
   * embedded node), so all of them, whatever their age, before the node takes requests.
   */
  async start(alone: boolean): Promise<number> {
    const completed = alone ? await this.journal.resume(0) : 0;
    this.timer = setInterval(() => void this.round(), this.options.everyMs);
    this.timer.unref();
    return completed;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async round(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.journal.resume(this.options.olderThanMs);
    } catch (err) {
      this.options.warn("completing journalled writes failed", err);
    } finally {
      this.running = false;
    }
  }
}
