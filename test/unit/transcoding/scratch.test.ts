import { expect } from "chai";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { makeScratch, sweepScratch } from "../../../lib/transcoding/scratch";

const HOUR = 3_600_000;
const DEAD = 4_000_001;
const ALIVE = 4_000_002;

describe("transcoding scratch folders", () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "scratch-test-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function folder(name: string, ageMs: number): Promise<void> {
    const dir = path.join(root, name);
    await mkdir(path.join(dir, "out"), { recursive: true });
    await writeFile(path.join(dir, "original"), "bytes of an original");
    const at = new Date(Date.now() - ageMs);
    await utimes(dir, at, at);
  }

  const sweep = () =>
    sweepScratch({ root, olderThanMs: HOUR, isAlive: (pid) => pid === ALIVE || pid === process.pid });

  it("names a job's folder after its process and its media", async () => {
    const dir = await makeScratch("255559929258049536", root);
    expect(path.basename(dir)).to.match(new RegExp(`^mosaic-transcode-p${process.pid}-255559929258049536-`));
  });

  it("removes the old folders of dead processes, with what they hold", async () => {
    await folder(`mosaic-transcode-p${DEAD}-1-aaaaaa`, 2 * HOUR);
    await folder("mosaic-transcode-255559929258049536-bbbbbb", 2 * HOUR); // named before names carried a pid
    expect(await sweep()).to.equal(2);
    expect(await readdir(root)).to.deep.equal([]);
  });

  it("keeps a living process's folders, its own, young ones and anything else", async () => {
    const kept = [
      `mosaic-transcode-p${ALIVE}-1-aaaaaa`,
      `mosaic-transcode-p${process.pid}-2-bbbbbb`,
      `mosaic-transcode-p${DEAD}-3-cccccc`,
      "mosaic-transcode-255559929258049536-dddddd",
      "another-program-eeeeee",
    ];
    await folder(kept[0] as string, 2 * HOUR);
    await folder(kept[1] as string, 2 * HOUR);
    await folder(kept[2] as string, 60_000);
    await folder(kept[3] as string, 60_000);
    await folder(kept[4] as string, 2 * HOUR);
    expect(await sweep()).to.equal(0);
    expect((await readdir(root)).sort()).to.deep.equal([...kept].sort());
  });

  it("tells a dead process from a living one by itself", async () => {
    const child = spawn("true");
    await once(child, "exit");
    await folder(`mosaic-transcode-p${child.pid ?? 0}-1-aaaaaa`, 2 * HOUR);
    await folder(`mosaic-transcode-p${process.ppid}-2-bbbbbb`, 2 * HOUR);
    expect(await sweepScratch({ root, olderThanMs: HOUR })).to.equal(1);
    expect(await readdir(root)).to.deep.equal([`mosaic-transcode-p${process.ppid}-2-bbbbbb`]);
  });
});
