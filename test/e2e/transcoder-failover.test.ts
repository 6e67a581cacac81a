import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadConfig } from "../../config";
import { createNode, type MosaicNode } from "../../broker/create-node";
import type { MediaView } from "../../lib/media-library/media-view";
import { api, signup } from "../support/test-node";

const ROOT = path.resolve(__dirname, "../..");
const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/**
 * Two transcoder processes over NATS share the blob folder with a gateway+users+media node. The transcoder that
 * picks up a video is SIGKILLed mid-job; the job must complete on the other one and the media turn ready.
 */
describe("transcoder failover over NATS", function () {
  this.timeout(240_000);
  const namespace = `tf-${process.pid}-${Date.now().toString(36)}`;
  const common = { TRANSPORTER: NATS_URL, NAMESPACE: namespace, RATE_LIMITS: "off" };
  let dataDir: string;
  let front: MosaicNode;
  const transcoders: { name: string; child: ChildProcess; log: string }[] = [];

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-failover-"));
    front = await createNode(
      loadConfig({
        ...common,
        SERVICES: "gateway,users,media",
        NODE_ID: `${namespace}-front`,
        WORKER_ID: "1",
        JWT_SECRET: "failover-secret-".padEnd(40, "x"),
        DATA_DIR: dataDir,
        PORT: "0",
        LOG_LEVEL: "warn",
      }),
    );
    await front.start();
    for (const name of ["t1", "t2"]) {
      const entry = { name, child: spawnTranscoder(name), log: "" };
      entry.child.stdout?.on("data", (d: Buffer) => (entry.log += d.toString()));
      entry.child.stderr?.on("data", (d: Buffer) => (entry.log += d.toString()));
      transcoders.push(entry);
    }
    await front.broker.waitForServices({ name: "transcoder" }, 60_000);
    // Both must be known before the job goes out, or there is no second one to fail over to.
    const deadline = Date.now() + 60_000;
    while (
      front.broker.registry
        .getServiceList({ onlyAvailable: true })
        .filter((s: { name: string }) => s.name === "transcoder").length < 2
    ) {
      if (Date.now() > deadline) throw new Error("the second transcoder never joined");
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    for (const t of transcoders) {
      if (t.child.exitCode === null && t.child.signalCode === null) {
        t.child.kill("SIGKILL");
        await once(t.child, "exit");
      }
    }
    await front?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  function spawnTranscoder(name: string): ChildProcess {
    return spawn(process.execPath, ["--import", "tsx", "bin/mosaic.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...common,
        SERVICES: "transcoder",
        NODE_ID: `${namespace}-${name}`,
        DATA_DIR: dataDir,
        PORT: "0",
        LOG_LEVEL: "info",
        TRANSCODER_CONCURRENCY: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  it("completes a video on the surviving transcoder after the first one is killed mid-job", async () => {
    const clip = path.join(dataDir, "long.mp4");
    const { path: ffmpeg } = await import("@ffmpeg-installer/ffmpeg");
    // Long enough to take seconds to transcode on our machines, so the kill lands mid-job.
    execFileSync(
      ffmpeg,
      [
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=1280x720:rate=30",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440",
        "-t",
        "40",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-shortest",
        clip,
      ],
      { stdio: "ignore" },
    );

    const url = `http://127.0.0.1:${front.httpPort()}`;
    const { token } = await signup(url);
    const form = new FormData();
    form.append("file", new Blob([await readFile(clip)], { type: "video/mp4" }), "long.mp4");
    const res = await fetch(`${url}/api/media`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(res.status).to.equal(201);
    const { id } = (await res.json()) as MediaView;

    const deadline = Date.now() + 60_000;
    let victim: (typeof transcoders)[number] | undefined;
    while (!victim) {
      victim = transcoders.find((t) => t.log.includes(`transcoding video ${id}`));
      if (Date.now() > deadline) throw new Error("no transcoder picked the job up");
      await new Promise((r) => setTimeout(r, 50));
    }
    victim.child.kill("SIGKILL");
    await once(victim.child, "exit");
    const survivor = transcoders.find((t) => t !== victim)!;

    let media: MediaView | undefined;
    const until = Date.now() + 180_000;
    while (Date.now() < until) {
      media = (await api<MediaView>(url, "GET", `/api/media/${id}`, { token })).body;
      if (media.status !== "processing") break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(media?.status, survivor.log.slice(-2000)).to.equal("ready");
    expect(victim.log).to.not.include(`transcoded ${id}`);
    expect(survivor.log).to.include(`transcoded ${id}`);
    expect((await fetch(media!.variants.mp4!.url)).status).to.equal(200);
  });
});
