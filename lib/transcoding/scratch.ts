import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Scratch folders are named `mosaic-transcode-p<pid>-<mediaId>-<random>`: whose they are, and for what. */
const PREFIX = "mosaic-transcode-";
const OWNED = /^mosaic-transcode-p(\d+)-/;

/** A job's scratch folder (the original and its renders) under the system's temporary folder. */
export function makeScratch(mediaId: string, root: string = os.tmpdir()): Promise<string> {
  return mkdtemp(path.join(root, `${PREFIX}p${process.pid}-${mediaId}-`));
}

export interface SweepOptions {
  root?: string;
  /** Younger folders are kept whoever made them: no job outlives this (the transcode timeout, with margin). */
  olderThanMs: number;
  now?: () => number;
  isAlive?: (pid: number) => boolean;
}

/**
 * Removes the scratch folders of jobs whose process is gone: a node killed mid-job (SIGKILL, OOM, a power cut)
 * never ran its clean-up, and each folder holds a whole original, up to a video's size. Another node's folder on a
 * shared temporary folder is left alone while its process lives, and any folder while a job could still use it.
 * Folders from before names carried their process are swept by age alone. Answers how many went.
 */
export async function sweepScratch(options: SweepOptions): Promise<number> {
  const root = options.root ?? os.tmpdir();
  const now = options.now ?? Date.now;
  const isAlive = options.isAlive ?? processIsAlive;
  let swept = 0;
  for (const name of await readdir(root)) {
    if (!name.startsWith(PREFIX)) continue;
    const owner = OWNED.exec(name)?.[1];
    if (owner !== undefined && (Number(owner) === process.pid || isAlive(Number(owner)))) continue;
    const folder = path.join(root, name);
    const info = await stat(folder).catch(() => undefined);
    if (info === undefined || !info.isDirectory() || now() - info.mtimeMs < options.olderThanMs) continue;
    await rm(folder, { recursive: true, force: true });
    swept++;
  }
  return swept;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    // EPERM: it lives, as another user's process.
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
