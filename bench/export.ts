import { createReadStream, createWriteStream, openAsBlob } from "node:fs";
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { kernelView } from "./support/node-memory";
import { writePaddedVideo } from "./support/padded-video";
import { entryFromArgs } from "./support/node-entry";
import { startMosaic, stop } from "./support/processes";

/**
 * A data export (POST /api/me/export: a zip of the account's JSON and original files, streamed into the blob
 * store) of an account with `--posts` photo posts and `--videos` videos of `--mb` MiB each (at most 200, api.md's
 * limit), against copying the same bytes on disk, in one run, with the node's resident memory sampled while the
 * archive is built: it must not grow with the account, because nothing holds a whole file or a whole list. Run it
 * at two sizes to see:
 *
 *   npm run bench:export -- --posts 20 --videos 1 --mb 20
 *   npm run bench:export -- --posts 200 --videos 3 --mb 150     [--built: compile dist/ first; without it, dist/ when up to date]
 */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The resident set of a process now, in MiB. */
async function rssMb(pid: number): Promise<number> {
  return (await kernelView(pid)).rssBytes / (1024 * 1024);
}

async function main(): Promise<void> {
  const posts = arg("posts", 20);
  const videos = arg("videos", 1);
  const mb = arg("mb", 20);
  const dir = await mkdtemp(path.join(os.tmpdir(), "mosaic-bench-export-"));
  const video = path.join(dir, "big.mp4");
  const videoBytes = await writePaddedVideo(video, mb);
  const photo = await readFile(path.resolve(__dirname, "../test/fixtures/image.png"));

  const entry = await entryFromArgs();
  const node = await startMosaic({ PORT: "3904", DATA_DIR: path.join(dir, "data") }, entry);
  const pid = node.child.pid ?? 0;
  try {
    const signup = await fetch(`${node.url}/api/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "bench_export", email: "be@example.com", password: "bench-password" }),
    });
    const { token } = (await signup.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    const upload = async (blob: Blob, name: string): Promise<string> => {
      const form = new FormData();
      form.append("file", blob, name);
      const res = await fetch(`${node.url}/api/media`, { method: "POST", headers: auth, body: form });
      const body = (await res.json()) as { id: string };
      if (res.status !== 201) throw new Error(`upload answered ${res.status}`);
      return body.id;
    };
    const post = async (mediaId: string, caption: string) => {
      const res = await fetch(`${node.url}/api/posts`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ caption, mediaIds: [mediaId] }),
      });
      await res.text();
      if (res.status !== 201) throw new Error(`post answered ${res.status}`);
    };
    for (let i = 0; i < posts; i++) {
      // Each photo distinct, so none is taken for a copy of another.
      const bytes = new Blob([photo, Buffer.from(`#${i}`)], { type: "image/png" });
      await post(await upload(bytes, `p${i}.png`), `post ${i} #bench`);
    }
    for (let i = 0; i < videos; i++) {
      // Distinct bytes each, so none is taken for a copy of another.
      await appendFile(video, Buffer.from(`#${i}`));
      await post(await upload(await openAsBlob(video, { type: "video/mp4" }), `big${i}.mp4`), `video ${i}`);
    }
    // Settled: what the node holds once the account is made and the uploads are done.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const before = await rssMb(pid);

    let peak = before;
    const sampler = setInterval(() => {
      void rssMb(pid).then((mb) => (peak = Math.max(peak, mb)));
    }, 20);
    const start = process.hrtime.bigint();
    const started = await fetch(`${node.url}/api/me/export`, { method: "POST", headers: auth });
    if (started.status !== 202) throw new Error(`export answered ${started.status}: ${await started.text()}`);
    let size = 0;
    for (;;) {
      const status = (await (await fetch(`${node.url}/api/me/export`, { headers: auth })).json()) as {
        state: string;
        size?: number;
      };
      if (status.state === "ready") {
        size = status.size ?? 0;
        break;
      }
      if (status.state === "failed") throw new Error("the export failed");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const exportMs = Number(process.hrtime.bigint() - start) / 1e6;
    clearInterval(sampler);

    // The reference: the videos' bytes read and written once on disk (the originals are most of the archive).
    const copyStart = process.hrtime.bigint();
    for (let i = 0; i < videos; i++) {
      await pipeline(createReadStream(video), createWriteStream(path.join(dir, `copy${i}.mp4`)));
    }
    const copyMs = Number(process.hrtime.bigint() - copyStart) / 1e6;
    const copiedMb = (videos * videoBytes) / (1024 * 1024);

    const sizeMb = size / (1024 * 1024);
    console.log(
      `${posts} photo posts and ${videos} video(s) of ${mb} MiB: archive ${sizeMb.toFixed(1)} MiB, node: ${entry.why}`,
    );
    console.table({
      "POST /api/me/export until ready": {
        ms: Math.round(exportMs),
        "MiB/s": Number((sizeMb / (exportMs / 1000)).toFixed(1)),
      },
      "copy of the videos on disk (reference)": {
        ms: Math.round(copyMs),
        "MiB/s": Number((copiedMb / (copyMs / 1000)).toFixed(1)),
      },
    });
    console.log(
      `ratio export / copy throughput: ${(sizeMb / (exportMs / 1000) / (copiedMb / (copyMs / 1000))).toFixed(3)}`,
    );
    console.log(
      `node RSS: ${before.toFixed(0)} MiB before the export, peak ${peak.toFixed(0)} MiB while it ran (+${(peak - before).toFixed(0)} MiB)`,
    );
  } finally {
    await stop(node.child);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
