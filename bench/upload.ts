import { createReadStream, createWriteStream, openAsBlob } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { writePaddedVideo } from "./support/padded-video";
import { entryFromArgs } from "./support/node-entry";
import { startMosaic, stop } from "./support/processes";

/**
 * A large upload through the gateway (POST /api/media, multipart, streamed to the blob store while hashed)
 * against copying the same file on disk, in one run, with the node's peak resident memory: it must stay flat
 * whatever the file size, because nothing holds the whole file.
 *
 *   npm run bench:upload [-- --mb 100] [--built]   (the compiled node when dist/ is up to date; --built compiles it first)
 */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** VmHWM: the peak resident set of a process so far, in MiB (Linux). */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? "0");
  return Math.round(kb / 1024);
}

async function main(): Promise<void> {
  const mb = arg("mb", 100);
  const dir = await mkdtemp(path.join(os.tmpdir(), "mosaic-bench-upload-"));
  const file = path.join(dir, "big.mp4");
  const fileBytes = await writePaddedVideo(file, mb);

  const copyStart = process.hrtime.bigint();
  await pipeline(createReadStream(file), createWriteStream(path.join(dir, "copy.mp4")));
  const copyMs = Number(process.hrtime.bigint() - copyStart) / 1e6;

  const entry = await entryFromArgs();
  const node = await startMosaic({ PORT: "3903", DATA_DIR: path.join(dir, "data") }, entry);
  try {
    const signup = await fetch(`${node.url}/api/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "bench_upload", email: "bu@example.com", password: "bench-password" }),
    });
    const { token } = (await signup.json()) as { token: string };
    const idleRss = await peakRssMb(node.child.pid ?? 0);
    const form = new FormData();
    form.append("file", await openAsBlob(file, { type: "video/mp4" }), "big.mp4");
    const start = process.hrtime.bigint();
    const res = await fetch(`${node.url}/api/media`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    await res.text();
    const uploadMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (res.status !== 201) throw new Error(`upload answered ${res.status}`);
    const peak = await peakRssMb(node.child.pid ?? 0);
    const sizeMb = fileBytes / (1024 * 1024);
    console.log(`${sizeMb.toFixed(1)} MiB file, node: ${entry.why}`);
    console.table({
      "POST /api/media (gateway → media → blob store)": {
        ms: Math.round(uploadMs),
        "MiB/s": Number((sizeMb / (uploadMs / 1000)).toFixed(1)),
      },
      "copy on disk (reference)": {
        ms: Math.round(copyMs),
        "MiB/s": Number((sizeMb / (copyMs / 1000)).toFixed(1)),
      },
    });
    console.log(`ratio upload / copy throughput: ${(copyMs / uploadMs).toFixed(3)}`);
    console.log(`node peak RSS: ${peak} MiB (after start-up and sign-up: ${idleRss} MiB)`);
  } finally {
    await stop(node.child);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
