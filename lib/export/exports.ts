import type { BlobStore } from "../blobs";
import { ConflictError, NotFoundError } from "../errors";
import { compareIds, idTimestamp } from "../ids";
import type { MediaLibrary } from "../media-library/media-library";
import type { Row } from "../store/schema";
import type { WideRowStore } from "../store/store";
import { writeArchive, type ExportReader, type Originals } from "./archive";
import { EXPORT_KEEP_DAYS, EXPORT_STATES, type ExportState, type ExportView } from "./params";
import { EXPORT_SHARDS, exportActive, exportExpiries, exportJobs, exportLeases, exportQueue } from "./tables";
import { ArchiveAbortedError, ZipWriter } from "./zip-writer";

const DAY_MS = 86_400_000;
export const EXPORT_KEEP_MS = EXPORT_KEEP_DAYS * DAY_MS;
/**
 * A job's lease, renewed on a timer while its archive is written. A node that dies leaves it to lapse: the job is
 * then built again from the start by whichever node's sweep finds it first (an archive has no useful midpoint).
 */
const LEASE = { ttlSeconds: 20 };
const LEASE_RENEW_MS = 5_000;
/** Progress is saved at most this often: a poll every second or two sees it move, the store is not hammered. */
const PROGRESS_EVERY_MS = 500;
/** Builds that fail (the blob store down, a service that kept failing) are tried again this many times in all. */
const MAX_ATTEMPTS = 3;
/**
 * A queue row or a lock whose job row is not there yet: a request is between its writes for well under this, so
 * anything older was left by a crash.
 */
const ORPHAN_AFTER_MS = 60_000;
/**
 * Days of expiry partitions the sweep reads back over, to catch up after a cluster was down: as long as those rows
 * live (and the job rows an erasure finds archives by), so no archive outlives both.
 */
const SWEEP_LOOKBACK_DAYS = 30;

type JobRow = Row<typeof exportJobs>;
type QueueRow = Row<typeof exportQueue>;

/** Reads the account's data as its owner, for one job (bound to the broker by the export service). */
export type ReaderFor = (userId: string, exportId: string) => ExportReader;

export interface ExportsDeps {
  store: WideRowStore;
  blobs: BlobStore;
  ids: { next(): Promise<string> };
  /** The owner's originals: the media's own record says which blob holds its uploaded bytes. */
  media: Pick<MediaLibrary, "find">;
  /** Who holds a lease: this node. */
  holder: string;
  /** Where the owner downloads an archive until it expires: presigned by S3, else signed for the gateway. */
  downloadUrlOf: (blobKey: string, expiresAtMs: number) => Promise<string>;
  now?: () => number;
  warn?: (message: string) => void;
}

export function exportKeyOf(userId: string, exportId: string): string {
  return `exports/${userId}/${exportId}.zip`;
}

/**
 * Data exports (issue #17): one archive job at a time per user, recorded in the store before it is acknowledged,
 * claimed with a lease by whichever node's worker finds it, streamed as a zip into the blob store, downloadable
 * for seven days, then deleted by the sweep.
 */
export class Exports {
  private readonly now: () => number;
  private round: Promise<number> | undefined;
  private rerun = false;

  constructor(private readonly deps: ExportsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Records a new job for the user, or refuses with 409 while one is queued or running. */
  async start(userId: string): Promise<ExportView> {
    const { store } = this.deps;
    // A few tries at most: after clearing a lock that a crash left behind, or after drawing an id older than a job
    // that another request made meanwhile.
    for (let attempt = 0; attempt < 3; attempt++) {
      const exportId = await this.deps.ids.next();
      const taken = await store.insertIfAbsent(exportActive, { user_id: userId, export_id: exportId });
      if (!taken.applied) {
        const heldBy = taken.existing.export_id;
        if (heldBy !== undefined && (await this.underWay(userId, heldBy))) throw inProgress();
        await store.deleteIf(
          exportActive,
          { user_id: userId },
          heldBy === undefined ? {} : { export_id: heldBy },
        );
        continue;
      }
      // A request that drew its id first may take the lock after a later one made its whole archive. Its job
      // would then sort below that one and `latest` would never show it: it draws a newer id instead.
      const newest = (await store.slice(exportJobs, { user_id: userId }, { limit: 1 })).rows[0];
      if (newest !== undefined && compareIds(newest.export_id, exportId) >= 0) {
        await store.deleteIf(exportActive, { user_id: userId }, { export_id: exportId });
        continue;
      }
      const at = new Date(this.now());
      // The queue row first: a crash before the job row leaves a queue row the worker drops, never a job row
      // that no worker would ever find.
      await store.put(exportQueue, {
        shard: shardOf(exportId),
        export_id: exportId,
        user_id: userId,
        queued_at: at,
      });
      const row = {
        user_id: userId,
        export_id: exportId,
        state: "queued",
        done: 0,
        total: 0,
        created_at: at,
      };
      await store.put(exportJobs, row);
      return this.view(row);
    }
    throw inProgress();
  }

  /** The user's latest export, or 404 when there never was one (or its archive was deleted). */
  async latest(userId: string): Promise<ExportView> {
    const page = await this.deps.store.slice(exportJobs, { user_id: userId }, { limit: 1 });
    const row = page.rows[0];
    if (row === undefined) throw new NotFoundError("EXPORT_NOT_FOUND", "no export was asked for");
    return this.view(row);
  }

  /**
   * Builds every queued job this node can lease, one after the other (an archive is I/O-bound, and one at a time
   * keeps a node's share of the blob store and the services predictable). A call while a round runs makes that
   * round look again when it ends, so a job recorded meanwhile is not left for the next sweep.
   */
  runQueued(readerFor: ReaderFor): Promise<number> {
    if (this.round) {
      this.rerun = true;
      return this.round;
    }
    const round = (async () => {
      let built = 0;
      do {
        this.rerun = false;
        built += await this.scan(readerFor);
      } while (this.rerun);
      return built;
    })();
    this.round = round.finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  /**
   * An erasure's page of the user's exports (lib/erasure): archives, job rows and their entries in the queue and
   * the expiry list. True once none is left (then the one-at-a-time lock goes too).
   */
  async eraseUser(userId: string): Promise<boolean> {
    const { store, blobs } = this.deps;
    const { rows } = await store.slice(exportJobs, { user_id: userId }, { limit: 100 });
    for (const row of rows) {
      await blobs.delete(row.blob_key ?? exportKeyOf(userId, row.export_id));
      if (row.expires_at !== undefined) {
        await store.delete(exportExpiries, {
          day: dayOf(row.expires_at.getTime()),
          export_id: row.export_id,
        });
      }
      await store.delete(exportQueue, { shard: shardOf(row.export_id), export_id: row.export_id });
      await store.delete(exportJobs, { user_id: userId, export_id: row.export_id });
    }
    if (rows.length > 0) return false;
    await store.deleteIf(exportActive, { user_id: userId });
    return true;
  }

  /** Deletes the archives (blob, then job row) whose seven days are over; answers how many. */
  async sweepExpired(): Promise<number> {
    const { store, blobs } = this.deps;
    const now = this.now();
    const today = dayOf(now);
    let removed = 0;
    for (let day = today - SWEEP_LOOKBACK_DAYS; day <= today; day++) {
      let pageToken: string | undefined;
      do {
        const page = await store.slice(exportExpiries, { day }, { limit: 500, pageToken });
        for (const row of page.rows) {
          if ((row.expires_at?.getTime() ?? 0) > now) continue;
          if (row.blob_key !== undefined) await blobs.delete(row.blob_key);
          if (row.user_id !== undefined) {
            await store.delete(exportJobs, { user_id: row.user_id, export_id: row.export_id });
          }
          await store.delete(exportExpiries, { day, export_id: row.export_id });
          removed++;
        }
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    return removed;
  }

  private async scan(readerFor: ReaderFor): Promise<number> {
    let built = 0;
    for (let shard = 0; shard < EXPORT_SHARDS; shard++) {
      let pageToken: string | undefined;
      do {
        const page = await this.deps.store.slice(exportQueue, { shard }, { limit: 100, pageToken });
        for (const row of page.rows) {
          if (await this.run(row, readerFor)) built++;
        }
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
    return built;
  }

  /** Whether the job holding the user's lock is still to be built (or is too young to have its row yet). */
  private async underWay(userId: string, exportId: string): Promise<boolean> {
    const job = await this.deps.store.get(exportJobs, { user_id: userId, export_id: exportId });
    if (job === undefined) return this.now() - idTimestamp(exportId).getTime() < ORPHAN_AFTER_MS;
    return job.state === "queued" || job.state === "running";
  }

  /** Builds one queued job unless another node holds it; answers whether its archive was made here. */
  private async run(queued: QueueRow, readerFor: ReaderFor): Promise<boolean> {
    const { store, holder } = this.deps;
    const userId = queued.user_id;
    if (userId === undefined) return false;
    const exportId = queued.export_id;
    const lease = await store.insertIfAbsent(exportLeases, { export_id: exportId, holder }, LEASE);
    if (!lease.applied) return false;
    const writer: { zip?: ZipWriter } = {};
    let held = true;
    // Renewed on a timer: one media file may take longer than the lease to copy.
    const renewal = setInterval(() => {
      store.updateIf(exportLeases, { export_id: exportId, holder }, { holder }, LEASE).then(
        (renewed) => {
          if (renewed || !held) return;
          held = false;
          writer.zip?.abort(
            new ArchiveAbortedError("the lease lapsed: another node builds this archive now"),
          );
        },
        () => undefined,
      );
    }, LEASE_RENEW_MS);
    renewal.unref();
    try {
      const key = { user_id: userId, export_id: exportId };
      const job = await store.get(exportJobs, key);
      if (job === undefined) {
        // A request that crashed between the queue row and the job row: nothing to build, the lock goes too.
        if (this.now() - (queued.queued_at?.getTime() ?? 0) >= ORPHAN_AFTER_MS) {
          await this.finish(queued, userId);
        }
        return false;
      }
      if (job.state === "ready" || job.state === "failed") {
        await this.finish(queued, userId);
        return false;
      }
      const attempts = (job.attempts ?? 0) + 1;
      await store.put(exportJobs, {
        ...key,
        state: "running",
        attempts,
        done: 0,
        total: 0,
        started_at: new Date(this.now()),
      });
      const zip = new ZipWriter(new Date(this.now()));
      writer.zip = zip;
      let outcome: { size: number; done: number } | Error;
      try {
        outcome = await this.build(zip, key, readerFor(userId, exportId));
      } catch (err) {
        outcome = err instanceof Error ? err : new Error(String(err));
      }
      // Another node took the job over: its archive (the same key) is the one that counts.
      if (!held) return false;
      if (outcome instanceof Error) {
        this.deps.warn?.(
          `export ${exportId} failed (attempt ${attempts} of ${MAX_ATTEMPTS}): ${outcome.message}`,
        );
        if (attempts < MAX_ATTEMPTS) {
          await store.put(exportJobs, { ...key, state: "queued", failure: outcome.message });
          return false;
        }
        await store.put(exportJobs, { ...key, state: "failed", failure: outcome.message });
        await this.finish(queued, userId);
        return false;
      }
      const readyAt = this.now();
      const expiresAt = readyAt + EXPORT_KEEP_MS;
      const blobKey = exportKeyOf(userId, exportId);
      // The sweep's row before the job turns ready: an archive nobody would ever delete cannot be left.
      await store.put(exportExpiries, {
        day: dayOf(expiresAt),
        export_id: exportId,
        user_id: userId,
        blob_key: blobKey,
        expires_at: new Date(expiresAt),
      });
      await store.put(exportJobs, {
        ...key,
        state: "ready",
        done: outcome.done,
        total: outcome.done,
        ready_at: new Date(readyAt),
        expires_at: new Date(expiresAt),
        blob_key: blobKey,
        size: outcome.size,
      });
      await this.finish(queued, userId);
      return true;
    } finally {
      clearInterval(renewal);
      await store.deleteIf(exportLeases, { export_id: exportId }, { holder }).catch(() => undefined);
    }
  }

  /** Streams the archive into the blob store while it is written, saving progress as it goes. */
  private async build(
    zip: ZipWriter,
    key: { user_id: string; export_id: string },
    reader: ExportReader,
  ): Promise<{ size: number; done: number }> {
    const { store, blobs } = this.deps;
    const counts = { done: 0, total: 0 };
    let savedAt = 0;
    let saving: Promise<void> = Promise.resolve();
    const save = () => {
      const now = this.now();
      if (now - savedAt < PROGRESS_EVERY_MS) return;
      savedAt = now;
      const { done, total } = counts;
      // One save after the other, so an older count never lands after a newer one.
      saving = saving.then(() => store.put(exportJobs, { ...key, done, total }).catch(() => undefined));
    };
    const stored = blobs.put(exportKeyOf(key.user_id, key.export_id), zip.output, {
      contentType: "application/zip",
    });
    // A store that gives up stops the writing at once (it would wait for a reader that is gone).
    stored.catch((err: unknown) => zip.abort(err instanceof Error ? err : new Error(String(err))));
    let failure: Error | undefined;
    try {
      await writeArchive(zip, reader, this.originalsOf(key.user_id), {
        found: (count) => {
          counts.total += count;
          save();
        },
        wrote: (count) => {
          counts.done += count;
          save();
        },
      });
      zip.finish();
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      zip.abort(failure);
    }
    let info;
    try {
      info = await stored;
    } catch (err) {
      throw failure ?? err;
    } finally {
      await saving;
    }
    if (failure) throw failure;
    return { size: info.size, done: counts.done };
  }

  private originalsOf(userId: string): Originals {
    const { media, blobs } = this.deps;
    return async (mediaId) => {
      const row = await media.find(mediaId);
      if (row?.owner_id !== userId || row.deleted_at !== undefined) return undefined;
      const { original_key: originalKey, content_type: contentType } = row;
      if (originalKey === undefined || contentType === undefined) return undefined;
      return { contentType, open: async () => (await blobs.get(originalKey))?.body };
    };
  }

  /** The job leaves the queue and the user's lock: another export may be asked for. */
  private async finish(queued: QueueRow, userId: string): Promise<void> {
    await this.deps.store.delete(exportQueue, { shard: queued.shard, export_id: queued.export_id });
    await this.deps.store.deleteIf(exportActive, { user_id: userId }, { export_id: queued.export_id });
  }

  private async view(
    row: Pick<JobRow, "export_id" | "state" | "done" | "total" | "created_at"> & Partial<JobRow>,
  ) {
    const state: ExportState = EXPORT_STATES.find((s) => s === row.state) ?? "queued";
    const expiresAt = row.expires_at?.getTime();
    const live = state === "ready" && expiresAt !== undefined && expiresAt > this.now();
    const view: ExportView = {
      id: row.export_id,
      state,
      progress: { done: row.done ?? 0, total: Math.max(row.total ?? 0, row.done ?? 0) },
      createdAt: (row.created_at ?? idTimestamp(row.export_id)).toISOString(),
      ...(row.ready_at && { readyAt: row.ready_at.toISOString() }),
      ...(expiresAt !== undefined && { expiresAt: new Date(expiresAt).toISOString() }),
      ...(live && row.blob_key && { url: await this.deps.downloadUrlOf(row.blob_key, expiresAt) }),
      ...(state === "ready" && row.size !== undefined && { size: row.size }),
    };
    return view;
  }
}

function inProgress(): ConflictError {
  return new ConflictError(
    "EXPORT_IN_PROGRESS",
    "an export is already being made: wait until it is ready (GET /api/me/export) before asking again",
  );
}

function shardOf(exportId: string): number {
  return Number(BigInt(exportId) % BigInt(EXPORT_SHARDS));
}

function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}
