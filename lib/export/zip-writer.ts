import { once } from "node:events";
import { PassThrough, Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { ZipFile } from "yazl";

/** The archive was given up (the job's lease lapsed, the blob store failed): nothing more is written. */
export class ArchiveAbortedError extends Error {
  override readonly name = "ArchiveAbortedError";
}

/**
 * A zip written one entry after the other into `output`, which the caller streams into the blob store. Each
 * entry is awaited until the zip has read all of it, so what is held at any time is one entry's stream buffer
 * (and yazl's central directory, a few dozen bytes per entry): memory stays flat however large the account.
 */
export class ZipWriter {
  readonly output: Readable;
  private readonly zip = new ZipFile();
  private readonly failed: Promise<never>;
  private fail!: (err: Error) => void;
  private current: Readable | undefined;
  private failure: Error | undefined;

  constructor(private readonly mtime: Date) {
    const output = this.zip.outputStream;
    // yazl's outputStream is a PassThrough; the check keeps the type honest without a cast.
    if (!(output instanceof Readable)) throw new TypeError("yazl's outputStream is not a stream.Readable");
    this.output = output;
    this.failed = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    // Rejections surface through the awaits racing this promise; it alone must not count as unhandled.
    this.failed.catch(() => undefined);
    this.zip.on("error", (err: unknown) => this.abort(err instanceof Error ? err : new Error(String(err))));
  }

  /**
   * An entry of text written piece by piece: `write` resolves once the piece is taken, waiting while the zip is
   * behind, so the producer pages through its lists at the pace the archive is stored.
   */
  async text(
    name: string,
    produce: (write: (chunk: string) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    this.assertOpen();
    const entry = new PassThrough();
    this.current = entry;
    this.zip.addReadStream(entry, name, { mtime: this.mtime, compress: true });
    await produce(async (chunk) => {
      this.assertOpen();
      if (!entry.write(chunk)) await this.race(once(entry, "drain"));
    });
    entry.end();
    await this.race(finished(entry));
  }

  /** A file stored as it is (media are compressed already), streamed from `body` to the end. */
  async file(name: string, body: Readable): Promise<void> {
    try {
      this.assertOpen();
    } catch (err) {
      // Opened for an archive that was stopped meanwhile: its socket (S3) must not be left open.
      body.destroy();
      throw err;
    }
    this.current = body;
    this.zip.addReadStream(body, name, { mtime: this.mtime, compress: false });
    await this.race(finished(body));
  }

  /** Writes the central directory; `output` ends after it. */
  finish(): void {
    this.assertOpen();
    this.zip.end();
  }

  /** Stops writing: the entry under way and the output are destroyed, so the blob store keeps nothing. */
  abort(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.fail(err);
    this.current?.destroy();
    this.output.destroy(err);
  }

  private assertOpen(): void {
    if (this.failure) throw this.failure;
  }

  private race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.failed]);
  }
}
