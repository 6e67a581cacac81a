import { randomBytes } from "node:crypto";
import { open, readdir, readFile, rename, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import type { IndexOp } from "../search-index";
import { assertIndexOp } from "../index-ops";

/**
 * The embedded index's files, in its folder (DATA_DIR/search):
 *
 *   snapshot.jsonl   the whole index as of one log sequence number: a header line, then the parts of each
 *                    generation and type (MiniSearch's index and the versions, a few thousand documents or postings
 *                    per line), so that no single string holds it all and no single turn makes it all
 *   log.jsonl        every change since that snapshot, one JSON line per batch, fsynced before the batch is applied
 *   snapshot.jsonl.<pid>-<random>.tmp   a snapshot being written; renamed over snapshot.jsonl once fsynced
 *
 * On open the snapshot is loaded and the log lines past its sequence number are replayed. A crash can tear only
 * the last line of the log (the one being written, never acknowledged): it is ignored and cut off.
 */
export const SNAPSHOT_FILE = "snapshot.jsonl";
export const LOG_FILE = "log.jsonl";
export const SNAPSHOT_FORMAT = "mosaic-search-snapshot/2";
/** The format before snapshots were written in parts: one line per generation and type. Still read. */
export const SNAPSHOT_FORMAT_1 = "mosaic-search-snapshot/1";

/** One line of the log. `at` is when the batch was applied first, so that a replay expires tombstones alike. */
export type LogEntry =
  | { seq: number; kind: "apply"; generation: string; at: number; ops: IndexOp[] }
  | { seq: number; kind: "create" | "promote" | "drop"; generation: string };

/**
 * The entries of the log, up to its first line that is incomplete or unreadable, and the length of that valid
 * part in bytes: what follows is the torn tail of a crash, to be cut off before anything is appended.
 */
export async function readLog(file: string): Promise<{ entries: LogEntry[]; validBytes: number }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error: unknown) {
    if (errorCode(error) === "ENOENT") return { entries: [], validBytes: 0 };
    throw error;
  }
  const entries: LogEntry[] = [];
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, start);
    if (end === -1) break;
    const entry = parseLogEntry(bytes.toString("utf8", start, end));
    if (entry === undefined) break;
    entries.push(entry);
    start = end + 1;
  }
  return { entries, validBytes: start };
}

function parseLogEntry(line: string): LogEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { seq, kind, generation, at, ops } = value as Record<string, unknown>;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || typeof generation !== "string")
    return undefined;
  if (kind === "create" || kind === "promote" || kind === "drop") return { seq, kind, generation };
  if (kind !== "apply" || typeof at !== "number" || !Array.isArray(ops)) return undefined;
  try {
    return { seq, kind, generation, at, ops: ops.map(assertIndexOp) };
  } catch {
    return undefined;
  }
}

/** The log, open for appending. Each append is durable (fsynced) when it resolves, or not there at all. */
export class AppendLog {
  /** Set when the log could not be brought back to a whole line after a failed append: nothing may follow. */
  broken = false;

  private constructor(
    private readonly handle: FileHandle,
    private size: number,
  ) {}

  /** Opens (or creates) the log and cuts it to `validBytes`, dropping a torn last line. */
  static async open(file: string, validBytes: number): Promise<AppendLog> {
    const handle = await open(file, "a");
    try {
      const { size } = await handle.stat();
      if (size !== validBytes) {
        await handle.truncate(validBytes);
        await handle.sync();
      }
      return new AppendLog(handle, validBytes);
    } catch (error: unknown) {
      await handle.close();
      throw error;
    }
  }

  async append(text: string): Promise<void> {
    if (this.broken) throw new Error("the search log is broken");
    const bytes = Buffer.from(text, "utf8");
    try {
      await writeAll(this.handle, bytes);
      await this.handle.sync();
      this.size += bytes.length;
    } catch (error: unknown) {
      // A part of the lines may be on disk: cut it, or a later append would follow a torn line and be lost.
      try {
        await this.handle.truncate(this.size);
      } catch {
        this.broken = true;
      }
      throw error;
    }
  }

  /** Empties the log, once a snapshot holds everything in it. */
  async reset(): Promise<void> {
    try {
      await this.handle.truncate(0);
      await this.handle.sync();
      this.size = 0;
    } catch (error: unknown) {
      this.broken = true;
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Writes a snapshot whole under a temp name, fsyncs it, renames it over the previous one and fsyncs the folder. */
export async function writeSnapshot(dir: string, lines: Iterable<string>): Promise<void> {
  const tmp = path.join(dir, `${SNAPSHOT_FILE}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx", 0o644);
  let written = false;
  try {
    for (const line of lines) await writeAll(handle, Buffer.from(`${line}\n`, "utf8"));
    await handle.sync();
    written = true;
  } finally {
    await handle.close();
    if (!written) await unlink(tmp).catch(() => undefined);
  }
  try {
    await rename(tmp, path.join(dir, SNAPSHOT_FILE));
  } catch (error: unknown) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  const folder = await open(dir, "r");
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** The lines of the snapshot, or undefined when there is none yet. */
export async function readSnapshot(dir: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, SNAPSHOT_FILE), "utf8");
  } catch (error: unknown) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
  return text.split("\n").filter((line) => line.length > 0);
}

/** Deletes the temp files of snapshots a crash interrupted; they were never renamed, so never part of the state. */
export async function removeSnapshotTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(`${SNAPSHOT_FILE}.`) && name.endsWith(".tmp")) {
      await unlink(path.join(dir, name)).catch(() => undefined);
    }
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
    written += bytesWritten;
  }
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}
