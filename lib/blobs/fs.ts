import { createHash, randomBytes } from "node:crypto";
import type { Hash } from "node:crypto";
import { mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import type { BlobInfo, BlobPart, BlobRange, BlobStore } from "./blob-store";
import {
  MIN_PART_BYTES,
  assertBlobKey,
  assertContentType,
  assertPartNumber,
  quoteEtag,
  resolveRange,
  sameEtag,
  sortCompletedParts,
} from "./blob-store";
import {
  BlobStoreClosedError,
  BlobStoreUnavailableError,
  BlobTooLargeError,
  InvalidPartError,
  MultipartUploadNotFoundError,
} from "./errors";

export interface FsBlobStoreOptions {
  /** The folder that holds everything (e.g. DATA_DIR/blobs); created when missing. */
  root: string;
  /** Multipart uploads untouched for this long are deleted at start. Defaults to 7 days. */
  abandonedUploadMs?: number;
}

/**
 * On-disk layout under root:
 *
 *   <seg>/<seg>/<last>@blob        one file per blob: a 1 KiB header, then the bytes
 *   .multipart/<uploadId>/upload.json, .multipart/<uploadId>/<partNumber>   (parts in the same format)
 *   .tmp/<pid>-<random>.tmp        writes in progress
 *
 * The metadata (size, content type, sha256, time) sits in a fixed-size header inside the blob's own file rather
 * than in a sidecar, so one rename publishes data and metadata together: a sidecar would need two renames, and a
 * crash between them pairs new bytes with the old size and etag. The header is written last, into space reserved
 * first, once the hash is known.
 *
 * The `@blob` suffix holds a character keys cannot have, so key `a/b` (file `a/b@blob`) and key `a/b/c` (folder
 * `a/b`) never collide, and keys never meet the dot-folders (assertBlobKey refuses dot segments).
 *
 * Every write streams into `.tmp` (the same filesystem, so rename is atomic), is fsynced, and only then renamed to
 * its real name: readers see the old blob or the new one, never half of one, even after a crash. At start, temp
 * files whose writer process is gone (or that are a day old) are deleted; a live writer's are left alone, so
 * several processes may share one root.
 */
export class FsBlobStore implements BlobStore {
  private readonly root: string;
  private readonly tmpDir: string;
  private readonly multipartDir: string;
  private readonly abandonedUploadMs: number;
  private readonly prepared: Promise<void>;
  private closed = false;

  constructor(options: FsBlobStoreOptions) {
    this.root = path.resolve(options.root);
    this.tmpDir = path.join(this.root, ".tmp");
    this.multipartDir = path.join(this.root, ".multipart");
    this.abandonedUploadMs = options.abandonedUploadMs ?? 7 * 24 * 3600_000;
    this.prepared = this.prepare();
    // Every operation awaits `prepared` and reports its failure; this only keeps it from counting as unhandled.
    this.prepared.catch(() => undefined);
  }

  async put(
    key: string,
    body: Readable,
    options: { contentType: string; maxBytes?: number },
  ): Promise<BlobInfo & { sha256: string }> {
    assertBlobKey(key);
    assertContentType(options.contentType);
    await this.ready();
    return this.guard(async () => {
      const written = await this.writeToTemp(options.contentType, async (sink) => {
        await sink.copyFrom(body, options.maxBytes);
      });
      await this.publish(written.tmp, this.blobPath(key));
      return { ...infoOf(key, written.meta), sha256: written.meta.sha256 };
    });
  }

  async get(
    key: string,
    range?: BlobRange,
  ): Promise<{ info: BlobInfo; body: Readable; range?: { start: number; end: number } } | undefined> {
    assertBlobKey(key);
    await this.ready();
    return this.guard(async () => {
      const opened = await openBlobFile(this.blobPath(key));
      if (opened === undefined) return undefined;
      const { handle, meta } = opened;
      try {
        const info = infoOf(key, meta);
        if (range === undefined) {
          return { info, body: handle.createReadStream({ start: HEADER_BYTES }) };
        }
        const served = resolveRange(range, meta.size);
        const body = handle.createReadStream({
          start: HEADER_BYTES + served.start,
          end: HEADER_BYTES + served.end,
        });
        return { info, body, range: served };
      } catch (error: unknown) {
        await handle.close();
        throw error;
      }
    });
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    assertBlobKey(key);
    await this.ready();
    return this.guard(async () => {
      const opened = await openBlobFile(this.blobPath(key));
      if (opened === undefined) return undefined;
      await opened.handle.close();
      return infoOf(key, opened.meta);
    });
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    await this.ready();
    await this.guard(async () => {
      const file = this.blobPath(key);
      try {
        await unlink(file);
      } catch (error: unknown) {
        if (errorCode(error) !== "ENOENT" && errorCode(error) !== "ENOTDIR") throw error;
      }
      await this.pruneEmptyFolders(path.dirname(file));
    });
  }

  async createMultipart(key: string, contentType: string): Promise<string> {
    assertBlobKey(key);
    assertContentType(contentType);
    await this.ready();
    return this.guard(async () => {
      const uploadId = randomBytes(16).toString("hex");
      const folder = path.join(this.multipartDir, uploadId);
      await mkdir(folder, { recursive: true });
      const upload: UploadRecord = { key, contentType, created: Date.now() };
      const tmp = this.tempPath();
      const handle = await open(tmp, "wx");
      try {
        await handle.writeFile(JSON.stringify(upload));
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path.join(folder, UPLOAD_FILE));
      return uploadId;
    });
  }

  async putPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    maxBytes: number,
  ): Promise<BlobPart> {
    assertBlobKey(key);
    assertPartNumber(partNumber);
    await this.ready();
    return this.guard(async () => {
      const { folder, upload } = await this.readUpload(key, uploadId);
      const written = await this.writeToTemp(upload.contentType, async (sink) => {
        await sink.copyFrom(body, maxBytes);
      });
      try {
        // No mkdir here: a folder gone means the upload was aborted or completed meanwhile.
        await rename(written.tmp, path.join(folder, String(partNumber)));
      } catch (error: unknown) {
        await unlink(written.tmp).catch(() => undefined);
        if (errorCode(error) === "ENOENT") throw new MultipartUploadNotFoundError(uploadId);
        throw error;
      }
      return { partNumber, etag: etagOf(written.meta), size: written.meta.size };
    });
  }

  async listParts(key: string, uploadId: string): Promise<BlobPart[]> {
    assertBlobKey(key);
    await this.ready();
    return this.guard(async () => {
      const { folder } = await this.readUpload(key, uploadId);
      let names: string[];
      try {
        names = await readdir(folder);
      } catch (error: unknown) {
        if (errorCode(error) === "ENOENT") throw new MultipartUploadNotFoundError(uploadId);
        throw error;
      }
      const parts: BlobPart[] = [];
      for (const name of names) {
        if (!/^[1-9][0-9]*$/.test(name)) continue;
        const opened = await openBlobFile(path.join(folder, name));
        if (opened === undefined) continue; // replaced or dropped while we listed
        await opened.handle.close();
        parts.push({ partNumber: Number(name), etag: etagOf(opened.meta), size: opened.meta.size });
      }
      return parts.sort((a, b) => a.partNumber - b.partNumber);
    });
  }

  async completeMultipart(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
  ): Promise<BlobInfo> {
    assertBlobKey(key);
    const wanted = sortCompletedParts(parts);
    await this.ready();
    return this.guard(async () => {
      const { folder, upload } = await this.readUpload(key, uploadId);
      // Open every part first, so that a bad list is refused before anything is written.
      const opened: { handle: FileHandle; meta: BlobMeta }[] = [];
      try {
        for (const [i, part] of wanted.entries()) {
          const file = await openBlobFile(path.join(folder, String(part.partNumber)));
          if (file === undefined) throw new InvalidPartError(`part ${part.partNumber} was not uploaded`);
          opened.push(file);
          if (!sameEtag(etagOf(file.meta), part.etag)) {
            throw new InvalidPartError(`part ${part.partNumber} has another etag than ${part.etag}`);
          }
          if (i < wanted.length - 1 && file.meta.size < MIN_PART_BYTES) {
            throw new InvalidPartError(
              `part ${part.partNumber} has ${file.meta.size} bytes; every part but the last needs ${MIN_PART_BYTES}`,
            );
          }
        }
        const written = await this.writeToTemp(upload.contentType, async (sink) => {
          for (const file of opened) await sink.copyFromFile(file.handle, HEADER_BYTES, file.meta.size);
        });
        await this.publish(written.tmp, this.blobPath(key));
        await rm(folder, { recursive: true, force: true });
        return infoOf(key, written.meta);
      } finally {
        await Promise.all(opened.map((file) => file.handle.close()));
      }
    });
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    assertBlobKey(key);
    await this.ready();
    await this.guard(async () => {
      let folder: string;
      try {
        ({ folder } = await this.readUpload(key, uploadId));
      } catch (error: unknown) {
        if (error instanceof MultipartUploadNotFoundError) return;
        throw error;
      }
      await rm(folder, { recursive: true, force: true });
    });
  }

  /** Clients upload through the gateway: there is no URL to sign. */
  // eslint-disable-next-line @typescript-eslint/require-await -- async, so that a bad key rejects rather than throws
  async presignPut(key: string): Promise<undefined> {
    assertBlobKey(key);
    return undefined;
  }

  /** The gateway serves embedded blobs itself. */
  // eslint-disable-next-line @typescript-eslint/require-await -- async, so that a bad key rejects rather than throws
  async publicUrl(key: string): Promise<undefined> {
    assertBlobKey(key);
    return undefined;
  }

  /** The gateway signs its own URLs of embedded blobs. */
  // eslint-disable-next-line @typescript-eslint/require-await -- async, so that a bad key rejects rather than throws
  async presignGet(key: string): Promise<undefined> {
    assertBlobKey(key);
    return undefined;
  }

  async isReady(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.prepared;
      // Writable, not merely present: a disk remounted read-only should take the node out of rotation.
      const probe = this.tempPath();
      await (await open(probe, "wx")).close();
      await unlink(probe);
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  // ---- layout ----

  private blobPath(key: string): string {
    return `${path.join(this.root, ...key.split("/"))}${BLOB_SUFFIX}`;
  }

  private tempPath(): string {
    return path.join(this.tmpDir, `${process.pid}-${randomBytes(8).toString("hex")}.tmp`);
  }

  // ---- writing ----

  /**
   * Writes a blob file under `.tmp`: reserves the header, lets `fill` stream the bytes (hashing and counting),
   * then writes the header and fsyncs. The temp file is removed when anything fails.
   */
  private async writeToTemp(
    contentType: string,
    fill: (sink: BlobSink) => Promise<void>,
  ): Promise<{ tmp: string; meta: BlobMeta }> {
    const tmp = this.tempPath();
    const handle = await open(tmp, "wx", 0o644);
    let ok = false;
    try {
      await writeAll(handle, Buffer.alloc(HEADER_BYTES, 0x20), 0);
      const sink = new BlobSink(handle);
      await fill(sink);
      const meta: BlobMeta = {
        size: sink.size,
        contentType,
        sha256: sink.hash.digest("hex"),
        lastModified: Date.now(),
      };
      await writeAll(handle, encodeHeader(meta), 0);
      await handle.datasync();
      ok = true;
      return { tmp, meta };
    } finally {
      await handle.close();
      if (!ok) await unlink(tmp).catch(() => undefined);
    }
  }

  /**
   * Renames a finished temp file to its real name. A concurrent delete may prune the folder between our mkdir and
   * our rename; then we make it again.
   */
  private async publish(tmp: string, destination: string): Promise<void> {
    try {
      for (let attempt = 1; ; attempt++) {
        await mkdir(path.dirname(destination), { recursive: true });
        try {
          await rename(tmp, destination);
          return;
        } catch (error: unknown) {
          if (errorCode(error) !== "ENOENT" || attempt >= 5) throw error;
        }
      }
    } catch (error: unknown) {
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
  }

  /** Removes the folders a delete left empty, up to (not including) the root. */
  private async pruneEmptyFolders(folder: string): Promise<void> {
    let current = folder;
    while (current.startsWith(this.root + path.sep)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone, or raced with a put that made it again): stop here
      }
      current = path.dirname(current);
    }
  }

  // ---- multipart ----

  private async readUpload(key: string, uploadId: string): Promise<{ folder: string; upload: UploadRecord }> {
    // The id becomes a folder name: only the shape we issue may reach the filesystem.
    if (typeof uploadId !== "string" || !/^[0-9a-f]{32}$/.test(uploadId)) {
      throw new MultipartUploadNotFoundError(String(uploadId));
    }
    const folder = path.join(this.multipartDir, uploadId);
    let text: string;
    try {
      const handle = await open(path.join(folder, UPLOAD_FILE), "r");
      try {
        text = await handle.readFile("utf8");
      } finally {
        await handle.close();
      }
    } catch (error: unknown) {
      if (errorCode(error) === "ENOENT") throw new MultipartUploadNotFoundError(uploadId);
      throw error;
    }
    const upload = parseUploadRecord(text);
    if (upload === undefined || upload.key !== key) throw new MultipartUploadNotFoundError(uploadId);
    return { folder, upload };
  }

  // ---- start-up ----

  private async prepare(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(this.multipartDir, { recursive: true });
    await this.sweepTemp();
    await this.sweepAbandonedUploads();
  }

  /** Deletes temp files of writers that are gone: a crashed process's half writes. */
  private async sweepTemp(): Promise<void> {
    const dayAgo = Date.now() - 24 * 3600_000;
    for (const name of await readdir(this.tmpDir)) {
      const file = path.join(this.tmpDir, name);
      const pid = /^([0-9]+)-[0-9a-f]+\.tmp$/.exec(name)?.[1];
      let stale = pid !== undefined && Number(pid) !== process.pid && !processAlive(Number(pid));
      if (!stale) {
        // A pid may have been reused by an unrelated process: age settles it eventually.
        const info = await stat(file).catch(() => undefined);
        stale = info !== undefined && info.mtimeMs < dayAgo;
      }
      if (stale) await rm(file, { force: true, recursive: true });
    }
  }

  private async sweepAbandonedUploads(): Promise<void> {
    const cutoff = Date.now() - this.abandonedUploadMs;
    for (const name of await readdir(this.multipartDir)) {
      const folder = path.join(this.multipartDir, name);
      // A folder's mtime moves whenever a part is renamed into it: the time of its last activity.
      const info = await stat(folder).catch(() => undefined);
      if (info !== undefined && info.mtimeMs < cutoff) await rm(folder, { recursive: true, force: true });
    }
  }

  private async ready(): Promise<void> {
    if (this.closed) throw new BlobStoreClosedError();
    try {
      await this.prepared;
    } catch (error: unknown) {
      throw new BlobStoreUnavailableError(`the blob folder ${this.root} cannot be prepared`, {
        cause: error,
      });
    }
  }

  /** Disk trouble (full, read-only, failing, out of descriptors) is an outage; anything else stays as it is. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error: unknown) {
      if (isDiskFailure(error)) {
        throw new BlobStoreUnavailableError(`the blob folder failed: ${errorCode(error)}`, { cause: error });
      }
      throw error;
    }
  }
}

const BLOB_SUFFIX = "@blob";
const UPLOAD_FILE = "upload.json";
const HEADER_BYTES = 1024;
const MAGIC = "mosaic-blob/1 ";
const COPY_CHUNK = 1024 * 1024;
const DISK_FAILURES = new Set([
  "EIO",
  "ENOSPC",
  "EROFS",
  "EDQUOT",
  "EMFILE",
  "ENFILE",
  "EACCES",
  "EPERM",
  "ESTALE",
]);

interface BlobMeta {
  size: number;
  contentType: string;
  sha256: string;
  /** Epoch milliseconds. */
  lastModified: number;
}

interface UploadRecord {
  key: string;
  contentType: string;
  created: number;
}

/** Appends bytes to a blob file being written, hashing and counting them. */
class BlobSink {
  readonly hash: Hash = createHash("sha256");
  size = 0;
  private position = HEADER_BYTES;

  constructor(private readonly handle: FileHandle) {}

  /**
   * Reads `body` to its end. Past `maxBytes` it stops reading and rejects, without destroying the stream: the
   * caller owns it. An error of the stream itself rejects as that error.
   */
  async copyFrom(body: Readable, maxBytes: number | undefined): Promise<void> {
    for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<unknown>) {
      const bytes = toBuffer(chunk);
      if (maxBytes !== undefined && this.size + bytes.length > maxBytes)
        throw new BlobTooLargeError(maxBytes);
      await this.append(bytes);
    }
  }

  /** Appends `length` bytes of another file from `offset`. */
  async copyFromFile(source: FileHandle, offset: number, length: number): Promise<void> {
    const buffer = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(length, 1)));
    let copied = 0;
    while (copied < length) {
      const { bytesRead } = await source.read(
        buffer,
        0,
        Math.min(buffer.length, length - copied),
        offset + copied,
      );
      if (bytesRead === 0) throw new Error("a multipart part ended before its recorded size");
      await this.append(buffer.subarray(0, bytesRead));
      copied += bytesRead;
    }
  }

  private async append(bytes: Buffer): Promise<void> {
    this.hash.update(bytes);
    await writeAll(this.handle, bytes, this.position);
    this.position += bytes.length;
    this.size += bytes.length;
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, position + written);
    written += bytesWritten;
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  throw new TypeError("a blob body must stream bytes (Buffer, Uint8Array or string chunks)");
}

/** `MAGIC` + JSON, padded with spaces to HEADER_BYTES (a newline last, so `head -c 1024` reads well). */
function encodeHeader(meta: BlobMeta): Buffer {
  const text = `${MAGIC}${JSON.stringify(meta)}`;
  const header = Buffer.alloc(HEADER_BYTES, 0x20);
  // A content type is at most 255 ASCII characters (assertContentType), so the JSON always fits.
  if (header.write(text, 0, "utf8") !== Buffer.byteLength(text)) throw new Error("blob header overflow");
  header[HEADER_BYTES - 1] = 0x0a;
  return header;
}

function decodeHeader(header: Buffer, file: string): BlobMeta {
  const text = header.toString("utf8").trimEnd();
  if (!text.startsWith(MAGIC)) throw new Error(`${file} is not a blob file (no header)`);
  const parsed: unknown = JSON.parse(text.slice(MAGIC.length));
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    !("size" in parsed && typeof parsed.size === "number") ||
    !("contentType" in parsed && typeof parsed.contentType === "string") ||
    !("sha256" in parsed && typeof parsed.sha256 === "string") ||
    !("lastModified" in parsed && typeof parsed.lastModified === "number")
  ) {
    throw new Error(`${file} has a malformed blob header`);
  }
  return {
    size: parsed.size,
    contentType: parsed.contentType,
    sha256: parsed.sha256,
    lastModified: parsed.lastModified,
  };
}

/** Opens a blob (or part) file and reads its header; undefined when there is none. The caller closes the handle. */
async function openBlobFile(file: string): Promise<{ handle: FileHandle; meta: BlobMeta } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, "r");
  } catch (error: unknown) {
    if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") return undefined;
    throw error;
  }
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
    if (bytesRead < HEADER_BYTES) throw new Error(`${file} is shorter than a blob header`);
    return { handle, meta: decodeHeader(header, file) };
  } catch (error: unknown) {
    await handle.close();
    throw error;
  }
}

function parseUploadRecord(text: string): UploadRecord | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "key" in parsed &&
      typeof parsed.key === "string" &&
      "contentType" in parsed &&
      typeof parsed.contentType === "string" &&
      "created" in parsed &&
      typeof parsed.created === "number"
    ) {
      return { key: parsed.key, contentType: parsed.contentType, created: parsed.created };
    }
  } catch {
    // a torn record: the upload is unusable, as if it did not exist
  }
  return undefined;
}

function etagOf(meta: BlobMeta): string {
  return quoteEtag(meta.sha256);
}

function infoOf(key: string, meta: BlobMeta): BlobInfo {
  return {
    key,
    size: meta.size,
    contentType: meta.contentType,
    etag: etagOf(meta),
    lastModified: new Date(meta.lastModified),
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return errorCode(error) === "EPERM"; // alive, but another user's
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

/** Only errors of our own filesystem calls (they carry `syscall`), not those of a caller's body stream. */
function isDiskFailure(error: unknown): boolean {
  const code = errorCode(error);
  return (
    code !== undefined &&
    DISK_FAILURES.has(code) &&
    typeof error === "object" &&
    error !== null &&
    "syscall" in error
  );
}
