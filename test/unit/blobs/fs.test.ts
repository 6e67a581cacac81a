import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import { FsBlobStore } from "../../../lib/blobs/fs";
import { MultipartUploadNotFoundError } from "../../../lib/blobs/errors";
import { describeBlobStoreContract, failingAfter, readAll, rejectionOf } from "./contract";

const ROOT = path.resolve(__dirname, "../../..");

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "mosaic-blobs-"));
}

describeBlobStoreContract("FsBlobStore", async () => {
  const dir = await tempDir();
  const store = new FsBlobStore({ root: path.join(dir, "blobs") });
  return {
    store,
    async teardown() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

const text = (value: string) => Readable.from([Buffer.from(value)]);

/** A pid no process can have: above Linux's largest pid_max (2^22). */
const DEAD_PID = 4_194_305;

describe("FsBlobStore", function () {
  this.timeout(60_000);
  let dir: string;
  let root: string;
  const stores: FsBlobStore[] = [];

  function open(): FsBlobStore {
    const store = new FsBlobStore({ root });
    stores.push(store);
    return store;
  }

  beforeEach(async function () {
    dir = await tempDir();
    root = path.join(dir, "blobs");
  });

  afterEach(async function () {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await rm(dir, { recursive: true, force: true });
  });

  describe("layout", function () {
    it("keeps one file per blob under its key, header first, then the bytes", async function () {
      const store = open();
      await store.put("media/42/orig.jpg", text("jpeg bytes"), { contentType: "image/jpeg" });
      expect(await filesUnder(root)).to.deep.equal([path.join("media", "42", "orig.jpg@blob")]);
      const file = await readFile(path.join(root, "media", "42", "orig.jpg@blob"));
      expect(file.length).to.equal(1024 + 10);
      expect(file.subarray(0, 14).toString()).to.equal("mosaic-blob/1 ");
      expect(file.subarray(1024).toString()).to.equal("jpeg bytes");
    });

    it("holds a key and a longer key under it side by side (a/b and a/b/c), as S3 does", async function () {
      const store = open();
      await store.put("a/b", text("file"), { contentType: "text/plain" });
      await store.put("a/b/c", text("under it"), { contentType: "text/plain" });
      expect((await readAll((await store.get("a/b"))!.body)).toString()).to.equal("file");
      expect((await readAll((await store.get("a/b/c"))!.body)).toString()).to.equal("under it");
    });

    it("removes the folders a delete leaves empty, and no others", async function () {
      const store = open();
      await store.put("x/y/z/one", text("1"), { contentType: "text/plain" });
      await store.put("x/two", text("2"), { contentType: "text/plain" });
      await store.delete("x/y/z/one");
      expect(await readdir(path.join(root, "x"))).to.deep.equal(["two@blob"]);
      await store.delete("x/two");
      expect((await readdir(root)).sort()).to.deep.equal([".multipart", ".tmp"]);
    });

    it("a body being read keeps the bytes it opened when the blob is replaced meanwhile", async function () {
      const store = open();
      await store.put("swap", text("first version"), { contentType: "text/plain" });
      const reading = await store.get("swap");
      await store.put("swap", text("second"), { contentType: "text/plain" });
      expect((await readAll(reading!.body)).toString()).to.equal("first version");
      expect((await readAll((await store.get("swap"))!.body)).toString()).to.equal("second");
    });
  });

  describe("crash safety", function () {
    it("never shows a half-written body: nothing under the real name, and the temp file is gone", async function () {
      const store = open();
      await store.put("video/1.mp4", text("the complete old one"), { contentType: "video/mp4" });
      const failure = new Error("connection reset");
      const error = await rejectionOf(
        store.put("video/1.mp4", failingAfter(Buffer.alloc(2 * 1024 * 1024, 9), failure), {
          contentType: "video/mp4",
        }),
      );
      expect(error).to.equal(failure);
      expect((await readAll((await store.get("video/1.mp4"))!.body)).toString()).to.equal(
        "the complete old one",
      );

      const fresh = await rejectionOf(
        store.put("video/2.mp4", failingAfter(Buffer.alloc(1024 * 1024, 9), failure), {
          contentType: "video/mp4",
        }),
      );
      expect(fresh).to.equal(failure);
      expect(await store.head("video/2.mp4")).to.equal(undefined);
      expect(await filesUnder(root)).to.deep.equal([path.join("video", "1.mp4@blob")]);
    });

    it("sweeps at start the temp files of a writer that is gone, never showing them under a key", async function () {
      await mkdir(path.join(root, ".tmp"), { recursive: true });
      const leftover = path.join(root, ".tmp", `${DEAD_PID}-0123456789abcdef.tmp`);
      await writeFile(leftover, Buffer.alloc(4096, 1));
      const store = open();
      expect(await store.isReady()).to.equal(true);
      expect(await readdir(path.join(root, ".tmp"))).to.deep.equal([]);
      expect(await filesUnder(root)).to.deep.equal([]);
    });

    it("leaves a live writer's temp files alone, unless they are a day old", async function () {
      await mkdir(path.join(root, ".tmp"), { recursive: true });
      // This very process is alive: its temp files belong to a write in progress (another store on the root).
      const live = path.join(root, ".tmp", `${process.pid}-00000000000000aa.tmp`);
      const old = path.join(root, ".tmp", `${process.pid}-00000000000000bb.tmp`);
      await writeFile(live, "in progress");
      await writeFile(old, "forgotten");
      const dayAndABitAgo = new Date(Date.now() - 25 * 3600_000);
      await utimes(old, dayAndABitAgo, dayAndABitAgo);
      const store = open();
      expect(await store.isReady()).to.equal(true);
      expect(await readdir(path.join(root, ".tmp"))).to.deep.equal([path.basename(live)]);
    });

    it("survives a writer process killed mid-write: the old blob stays whole, the half file is swept", async function () {
      const first = open();
      await first.put("crash/victim.bin", text("old and whole"), { contentType: "video/mp4" });
      await first.close();

      // A real process, streaming an endless body into the store, SIGKILLed once its temp file holds 1 MiB.
      const script = `
        const { Readable } = require("node:stream");
        const { FsBlobStore } = require(${JSON.stringify(path.join(ROOT, "lib/blobs/fs.ts"))});
        const store = new FsBlobStore({ root: process.env.BLOB_ROOT });
        const chunk = Buffer.alloc(64 * 1024, 7);
        const body = new Readable({ read() { this.push(chunk); } });
        store.put("crash/victim.bin", body, { contentType: "video/mp4" }).catch(() => undefined);
        setInterval(() => undefined, 1000);
      `;
      const child = spawn(process.execPath, ["--import", "tsx", "-e", script], {
        cwd: ROOT,
        env: { ...process.env, BLOB_ROOT: root },
        stdio: ["ignore", "ignore", "inherit"],
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        const deadline = Date.now() + 30_000;
        let halfWritten = false;
        while (!halfWritten && Date.now() < deadline) {
          await sleep(50);
          const names = await readdir(path.join(root, ".tmp")).catch(() => [] as string[]);
          for (const name of names) {
            const info = await stat(path.join(root, ".tmp", name)).catch(() => undefined);
            if (name.startsWith(`${child.pid}-`) && info !== undefined && info.size > 1024 * 1024)
              halfWritten = true;
          }
        }
        expect(halfWritten, "the child wrote a part of the body").to.equal(true);
      } finally {
        child.kill("SIGKILL");
        await exited;
      }
      expect(await readdir(path.join(root, ".tmp")), "the half file is still there").to.have.length(1);

      const restarted = open();
      expect(await restarted.isReady()).to.equal(true);
      expect(await readdir(path.join(root, ".tmp"))).to.deep.equal([]);
      expect((await readAll((await restarted.get("crash/victim.bin"))!.body)).toString()).to.equal(
        "old and whole",
      );
    });

    it("deletes multipart uploads left untouched for longer than abandonedUploadMs at start", async function () {
      const first = open();
      const stale = await first.createMultipart("up/stale", "video/mp4");
      await first.putPart("up/stale", stale, 1, text("part"), 100);
      const active = await first.createMultipart("up/active", "video/mp4");
      const weekAgo = new Date(Date.now() - 8 * 24 * 3600_000);
      await utimes(path.join(root, ".multipart", stale), weekAgo, weekAgo);

      const restarted = new FsBlobStore({ root, abandonedUploadMs: 7 * 24 * 3600_000 });
      stores.push(restarted);
      expect(await restarted.isReady()).to.equal(true);
      expect(await rejectionOf(restarted.listParts("up/stale", stale))).to.be.instanceOf(
        MultipartUploadNotFoundError,
      );
      expect(await restarted.listParts("up/active", active)).to.deep.equal([]);
    });
  });
});
