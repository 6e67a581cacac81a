import { rejectionOf } from "../../support/rejections";

export { rejectionOf };
/**
 * The behaviour every BlobStore adapter must show. The embedded adapter runs it on a temp folder, the S3 adapter
 * against a real S3-compatible server (S3Proxy), so it only asks for what S3 itself does too, and it is re-runnable
 * on a bucket that already holds data: every test works under a fresh random key prefix.
 */
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { expect } from "chai";
import type { BlobStore } from "../../../lib/blobs/blob-store";
import { MIN_PART_BYTES } from "../../../lib/blobs/blob-store";
import {
  BlobStoreClosedError,
  BlobTooLargeError,
  InvalidBlobKeyError,
  InvalidPartError,
  MultipartUploadNotFoundError,
  RangeNotSatisfiableError,
} from "../../../lib/blobs/errors";

export interface BlobContractSetup {
  /** A fresh store, ready to use. */
  store: BlobStore;
  /** Releases the store; it may already be closed by the test. */
  teardown(): Promise<void>;
}

const MiB = 1024 * 1024;
/** Past the S3 adapter's 8 MiB part: put() has to upload at least two parts. */
const LARGE_BYTES = 12 * MiB + 12_345;

/** Resolves to what the promise rejected with; fails if it resolved. */

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The whole body, for small blobs. */
export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Hashes a body as it streams, for large blobs. */
export async function sha256OfStream(body: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size };
}

/**
 * `size` pseudo-random bytes (xorshift32 from `seed`) in 64 KiB chunks, made as they are read: a large body that
 * no one holds whole. The same seed makes the same bytes, so a test can hash them again on its own.
 */
export function generated(size: number, seed: number): Readable {
  return Readable.from(generatedChunks(size, seed));
}

export function* generatedChunks(size: number, seed: number): Generator<Buffer> {
  let state = seed >>> 0 || 1;
  let left = size;
  while (left > 0) {
    const length = Math.min(left, 64 * 1024);
    const words = new Uint32Array(Math.ceil(length / 4));
    for (let i = 0; i < words.length; i++) {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      words[i] = state;
    }
    yield Buffer.from(words.buffer, 0, length);
    left -= length;
  }
}

export function generatedSha256(size: number, seed: number): string {
  const hash = createHash("sha256");
  for (const chunk of generatedChunks(size, seed)) hash.update(chunk);
  return hash.digest("hex");
}

/** Streams `bytes` and then fails, as a client that disconnects mid-upload. */
export function failingAfter(bytes: Buffer, error: Error): Readable {
  return Readable.from(
    (async function* () {
      yield bytes;
      await new Promise((resolve) => setImmediate(resolve));
      throw error;
    })(),
  );
}

function body(bytes: Buffer | string): Readable {
  return Readable.from([Buffer.from(bytes)]);
}

const INVALID_KEYS = [
  "",
  "/leading-slash",
  "a/../b",
  "..",
  "Upper/case",
  "with space",
  "a//b",
  "trailing/",
  ".hidden",
  "a/./b",
  "ümlaut",
  "back\\slash",
  "q?x",
  "x".repeat(513),
];

export function describeBlobStoreContract(
  adapterName: string,
  setup: () => Promise<BlobContractSetup>,
): void {
  describe(`BlobStore contract: ${adapterName}`, function () {
    this.timeout(60_000);
    let current: BlobContractSetup | undefined;
    let store: BlobStore;
    let prefix: string;

    beforeEach(async function () {
      current = await setup();
      store = current.store;
      prefix = `contract/${randomBytes(6).toString("hex")}`;
    });

    afterEach(async function () {
      await current?.teardown();
      current = undefined;
    });

    const keyOf = (name: string) => `${prefix}/${name}`;

    describe("put and get", function () {
      it("round-trips binary bytes and reports size, sha256, etag and content type", async function () {
        const bytes = Buffer.from(Array.from({ length: 256 * 4 }, (_, i) => (i * 7) % 256));
        const key = keyOf("binary.bin");
        const put = await store.put(key, body(bytes), { contentType: "application/octet-stream" });
        expect(put.key).to.equal(key);
        expect(put.size).to.equal(bytes.length);
        expect(put.sha256).to.equal(sha256(bytes));
        expect(put.contentType).to.equal("application/octet-stream");
        expect(put.etag).to.match(/^".+"$/);
        expect(put.lastModified).to.be.instanceOf(Date);
        expect(Math.abs(put.lastModified.getTime() - Date.now())).to.be.below(60_000);

        const got = await store.get(key);
        expect(got).to.not.equal(undefined);
        expect(got!.range).to.equal(undefined);
        expect(got!.info).to.deep.include({
          key,
          size: bytes.length,
          contentType: "application/octet-stream",
        });
        expect(got!.info.etag).to.equal(put.etag);
        expect(await readAll(got!.body)).to.deep.equal(bytes);

        const head = await store.head(key);
        expect(head).to.deep.equal({
          key,
          size: bytes.length,
          contentType: "application/octet-stream",
          etag: put.etag,
          lastModified: put.lastModified,
        });
      });

      it("stores a 0-byte blob", async function () {
        const key = keyOf("empty");
        const put = await store.put(key, Readable.from([]), { contentType: "text/plain" });
        expect(put.size).to.equal(0);
        expect(put.sha256).to.equal(sha256(Buffer.alloc(0)));
        const got = await store.get(key);
        expect(got!.info.size).to.equal(0);
        expect((await readAll(got!.body)).length).to.equal(0);
        expect((await store.head(key))!.size).to.equal(0);
      });

      it("streams a body of ~12 MiB made on the fly (past one 8 MiB part)", async function () {
        const key = keyOf("large.bin");
        const expected = generatedSha256(LARGE_BYTES, 42);
        const put = await store.put(key, generated(LARGE_BYTES, 42), { contentType: "video/mp4" });
        expect(put.size).to.equal(LARGE_BYTES);
        expect(put.sha256).to.equal(expected);
        expect((await store.head(key))!.size).to.equal(LARGE_BYTES);
        const got = await store.get(key);
        expect(await sha256OfStream(got!.body)).to.deep.equal({ sha256: expected, size: LARGE_BYTES });
      });

      it("takes string and Uint8Array chunks as bytes", async function () {
        const key = keyOf("mixed");
        const put = await store.put(
          key,
          Readable.from(["héllo ", new Uint8Array([0, 255]), Buffer.from("!")]),
          {
            contentType: "text/plain",
          },
        );
        const expected = Buffer.concat([Buffer.from("héllo "), Buffer.from([0, 255]), Buffer.from("!")]);
        expect(put.sha256).to.equal(sha256(expected));
        expect(await readAll((await store.get(key))!.body)).to.deep.equal(expected);
      });

      it("keeps the content type, parameters included", async function () {
        // Jetty (S3Proxy) re-spells "; charset=" as ";charset=": the same type, so spaces after ";" do not count.
        const canonical = (contentType: string) => contentType.replace(/;\s*/g, ";");
        const types = [
          "image/jpeg",
          'video/mp4; codecs="avc1.42E01E, mp4a.40.2"',
          "text/plain; charset=utf-8",
        ];
        for (const [i, contentType] of types.entries()) {
          const key = keyOf(`typed-${i}`);
          await store.put(key, body("x"), { contentType });
          expect(canonical((await store.head(key))!.contentType)).to.equal(canonical(contentType));
          const got = await store.get(key);
          got!.body.destroy(); // not read: releases the file or the connection
          expect(canonical(got!.info.contentType)).to.equal(canonical(contentType));
        }
      });

      it("overwrites: the last put wins, with its size, type and etag", async function () {
        const key = keyOf("overwritten");
        const first = await store.put(key, body("first version"), { contentType: "text/plain" });
        const second = await store.put(key, body("second"), { contentType: "application/json" });
        expect(second.etag).to.not.equal(first.etag);
        const got = await store.get(key);
        expect(got!.info).to.deep.include({ size: 6, contentType: "application/json", etag: second.etag });
        expect((await readAll(got!.body)).toString()).to.equal("second");
      });

      it("keeps keys with slashes apart", async function () {
        const keys = [keyOf("a/b/c/d.jpg"), keyOf("a/b/c/e.jpg"), keyOf("a/x.jpg"), keyOf("a-b/c")];
        for (const key of keys) await store.put(key, body(key), { contentType: "image/jpeg" });
        for (const key of keys)
          expect((await readAll((await store.get(key))!.body)).toString()).to.equal(key);
        await store.delete(keys[0]!);
        expect(await store.head(keys[0]!)).to.equal(undefined);
        expect((await store.head(keys[1]!))!.size).to.equal(keys[1]!.length);
      });

      it("takes the longest key allowed", async function () {
        const start = `${prefix}/${"s".repeat(200)}/${"t".repeat(200)}/`;
        const key = start + "u".repeat(512 - start.length);
        expect(key).to.have.length(512);
        await store.put(key, body("long"), { contentType: "text/plain" });
        expect((await store.head(key))!.size).to.equal(4);
        await store.delete(key);
      });
    });

    describe("maxBytes", function () {
      it("accepts a body of exactly maxBytes", async function () {
        const key = keyOf("exact");
        const put = await store.put(key, body(Buffer.alloc(1000, 1)), {
          contentType: "image/png",
          maxBytes: 1000,
        });
        expect(put.size).to.equal(1000);
      });

      it("rejects a body past maxBytes and stores nothing", async function () {
        const key = keyOf("too-large");
        const error = await rejectionOf(
          store.put(key, generated(3 * MiB, 7), { contentType: "image/png", maxBytes: MiB }),
        );
        expect(error).to.be.instanceOf(BlobTooLargeError);
        expect((error as BlobTooLargeError).maxBytes).to.equal(MiB);
        expect(await store.head(key)).to.equal(undefined);
        expect(await store.get(key)).to.equal(undefined);
      });

      it("rejects past maxBytes after whole parts went up, and stores nothing", async function () {
        const key = keyOf("too-large-multipart");
        const error = await rejectionOf(
          store.put(key, generated(LARGE_BYTES, 8), { contentType: "video/mp4", maxBytes: 9 * MiB }),
        );
        expect(error).to.be.instanceOf(BlobTooLargeError);
        expect(await store.head(key)).to.equal(undefined);
      });

      it("leaves the previous blob under the key when a new one is too large", async function () {
        const key = keyOf("kept");
        await store.put(key, body("the old one"), { contentType: "text/plain" });
        const error = await rejectionOf(
          store.put(key, body(Buffer.alloc(2000)), { contentType: "text/plain", maxBytes: 1000 }),
        );
        expect(error).to.be.instanceOf(BlobTooLargeError);
        expect((await readAll((await store.get(key))!.body)).toString()).to.equal("the old one");
      });

      it("rejects with the body's own error when it fails midway, and stores nothing", async function () {
        const failure = new Error("client went away");
        // Within the first part, and past it (the S3 adapter has then started a multipart upload to abort).
        for (const [name, size] of [
          ["broken-small", MiB],
          ["broken-large", 9 * MiB],
        ] as const) {
          const key = keyOf(name);
          const error = await rejectionOf(
            store.put(key, failingAfter(Buffer.alloc(size, 3), failure), { contentType: "video/mp4" }),
          );
          expect(error, name).to.equal(failure);
          expect(await store.head(key), name).to.equal(undefined);
        }
      });
    });

    describe("ranges", function () {
      const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) % 256));
      let key: string;

      beforeEach(async function () {
        key = keyOf("ranged.bin");
        await store.put(key, body(bytes), { contentType: "application/octet-stream" });
      });

      async function ranged(start: number, end?: number) {
        const got = await store.get(key, end === undefined ? { start } : { start, end });
        expect(got).to.not.equal(undefined);
        expect(got!.info.size, "info.size is the whole blob's").to.equal(bytes.length);
        return { range: got!.range, bytes: await readAll(got!.body) };
      }

      it("serves the first bytes", async function () {
        expect(await ranged(0, 99)).to.deep.equal({
          range: { start: 0, end: 99 },
          bytes: bytes.subarray(0, 100),
        });
      });

      it("serves the middle", async function () {
        const got = await ranged(250, 749);
        expect(got).to.deep.equal({ range: { start: 250, end: 749 }, bytes: bytes.subarray(250, 750) });
      });

      it("serves from an offset to the end when there is no end", async function () {
        expect(await ranged(900)).to.deep.equal({
          range: { start: 900, end: 999 },
          bytes: bytes.subarray(900),
        });
      });

      it("serves one byte", async function () {
        expect(await ranged(500, 500)).to.deep.equal({
          range: { start: 500, end: 500 },
          bytes: bytes.subarray(500, 501),
        });
        expect(await ranged(999, 999)).to.deep.equal({
          range: { start: 999, end: 999 },
          bytes: bytes.subarray(999),
        });
      });

      it("cuts an end past the blob to the blob", async function () {
        expect(await ranged(990, 5000)).to.deep.equal({
          range: { start: 990, end: 999 },
          bytes: bytes.subarray(990),
        });
      });

      it("serves a range of a large blob", async function () {
        const large = keyOf("large-ranged.bin");
        await store.put(large, generated(LARGE_BYTES, 9), { contentType: "video/mp4" });
        const whole = Buffer.concat([...generatedChunks(LARGE_BYTES, 9)]);
        const start = 8 * MiB - 10;
        const got = await store.get(large, { start, end: start + 99 });
        expect(got!.range).to.deep.equal({ start, end: start + 99 });
        expect(await readAll(got!.body)).to.deep.equal(whole.subarray(start, start + 100));
      });

      it("rejects ranges it cannot satisfy with the blob's size", async function () {
        const ranges = [
          { start: 1000 },
          { start: 1000, end: 1000 },
          { start: 5000, end: 6000 },
          { start: 10, end: 9 },
        ];
        for (const range of ranges) {
          const error = await rejectionOf(store.get(key, range));
          expect(error, JSON.stringify(range)).to.be.instanceOf(RangeNotSatisfiableError);
          expect((error as RangeNotSatisfiableError).size).to.equal(1000);
        }
      });

      it("rejects any range of a 0-byte blob", async function () {
        const empty = keyOf("empty-ranged");
        await store.put(empty, Readable.from([]), { contentType: "text/plain" });
        const error = await rejectionOf(store.get(empty, { start: 0 }));
        expect(error).to.be.instanceOf(RangeNotSatisfiableError);
        expect((error as RangeNotSatisfiableError).size).to.equal(0);
      });

      it("answers undefined for a range of an absent key", async function () {
        expect(await store.get(keyOf("absent"), { start: 0, end: 10 })).to.equal(undefined);
      });
    });

    describe("head and delete", function () {
      it("answers undefined for an absent key", async function () {
        expect(await store.head(keyOf("nothing"))).to.equal(undefined);
        expect(await store.get(keyOf("nothing"))).to.equal(undefined);
      });

      it("deletes, and deleting again (or what never was) is fine", async function () {
        const key = keyOf("doomed");
        await store.put(key, body("bye"), { contentType: "text/plain" });
        await store.delete(key);
        expect(await store.head(key)).to.equal(undefined);
        expect(await store.get(key)).to.equal(undefined);
        await store.delete(key);
        await store.delete(keyOf("never/was/here"));
      });

      it("can write a key again after deleting it", async function () {
        const key = keyOf("reborn/x");
        await store.put(key, body("one"), { contentType: "text/plain" });
        await store.delete(key);
        await store.put(key, body("two"), { contentType: "text/plain" });
        expect((await readAll((await store.get(key))!.body)).toString()).to.equal("two");
      });
    });

    describe("multipart", function () {
      it("joins parts sent in any order, a re-sent part replacing the first one", async function () {
        const key = keyOf("multipart/video.mp4");
        const uploadId = await store.createMultipart(key, "video/mp4");
        expect(uploadId).to.be.a("string").and.not.equal("");
        const part1 = Buffer.concat([...generatedChunks(MIN_PART_BYTES, 1)]);
        const part1Again = Buffer.concat([...generatedChunks(MIN_PART_BYTES, 11)]);
        const part2 = Buffer.concat([...generatedChunks(MIN_PART_BYTES, 2)]);
        const part3 = Buffer.from("the short last part");

        const sent3 = await store.putPart(key, uploadId, 3, body(part3), 10 * MiB);
        const sent1 = await store.putPart(key, uploadId, 1, body(part1), 10 * MiB);
        const sent2 = await store.putPart(key, uploadId, 2, body(part2), 10 * MiB);
        const resent1 = await store.putPart(key, uploadId, 1, body(part1Again), 10 * MiB);
        expect(sent3).to.deep.include({ partNumber: 3, size: part3.length });
        expect(sent1).to.deep.include({ partNumber: 1, size: MIN_PART_BYTES });
        expect(resent1.etag).to.not.equal(sent1.etag);

        const listed = await store.listParts(key, uploadId);
        expect(listed).to.deep.equal([resent1, sent2, sent3]);
        expect(await store.head(key), "nothing visible before completion").to.equal(undefined);

        const info = await store.completeMultipart(key, uploadId, [
          { partNumber: 2, etag: sent2.etag },
          { partNumber: 3, etag: sent3.etag },
          { partNumber: 1, etag: resent1.etag },
        ]);
        const expected = Buffer.concat([part1Again, part2, part3]);
        expect(info).to.deep.include({ key, size: expected.length, contentType: "video/mp4" });
        expect(await store.head(key)).to.deep.equal(info);
        expect(await sha256OfStream((await store.get(key))!.body)).to.deep.equal({
          sha256: sha256(expected),
          size: expected.length,
        });
        const ranged = await store.get(key, { start: MIN_PART_BYTES - 5, end: MIN_PART_BYTES + 4 });
        expect(await readAll(ranged!.body)).to.deep.equal(
          expected.subarray(MIN_PART_BYTES - 5, MIN_PART_BYTES + 5),
        );
      });

      it("completes a single small part, and parts with gaps in their numbers", async function () {
        const single = keyOf("multipart/single");
        const id = await store.createMultipart(single, "text/plain");
        const only = await store.putPart(single, id, 7, body("just me"), 100);
        const info = await store.completeMultipart(single, id, [{ partNumber: 7, etag: only.etag }]);
        expect(info.size).to.equal(7);
        expect((await readAll((await store.get(single))!.body)).toString()).to.equal("just me");

        const gaps = keyOf("multipart/gaps");
        const gapsId = await store.createMultipart(gaps, "text/plain");
        const first = Buffer.concat([...generatedChunks(MIN_PART_BYTES, 5)]);
        const a = await store.putPart(gaps, gapsId, 2, body(first), MIN_PART_BYTES);
        const b = await store.putPart(gaps, gapsId, 9, body("tail"), 100);
        await store.completeMultipart(gaps, gapsId, [
          { partNumber: 9, etag: b.etag },
          { partNumber: 2, etag: a.etag },
        ]);
        const got = await sha256OfStream((await store.get(gaps))!.body);
        expect(got).to.deep.equal({
          sha256: sha256(Buffer.concat([first, Buffer.from("tail")])),
          size: first.length + 4,
        });
      });

      it("refuses a completion naming a missing part, a stale etag, a small middle part or a part twice", async function () {
        const key = keyOf("multipart/refused");
        const uploadId = await store.createMultipart(key, "application/octet-stream");
        const small = await store.putPart(key, uploadId, 1, body(Buffer.alloc(MiB, 1)), 2 * MiB);
        const last = await store.putPart(key, uploadId, 2, body("end"), 100);
        const attempts = [
          [
            { partNumber: 1, etag: small.etag },
            { partNumber: 3, etag: last.etag },
          ],
          [{ partNumber: 1, etag: last.etag }],
          [
            { partNumber: 1, etag: small.etag },
            { partNumber: 2, etag: last.etag },
          ],
          [
            { partNumber: 2, etag: last.etag },
            { partNumber: 2, etag: last.etag },
          ],
          [],
        ];
        for (const parts of attempts) {
          const error = await rejectionOf(store.completeMultipart(key, uploadId, parts));
          expect(error, JSON.stringify(parts)).to.be.instanceOf(InvalidPartError);
        }
        expect(await store.head(key)).to.equal(undefined);
        // A refused completion leaves the upload open: fix the list and complete.
        const big = await store.putPart(
          key,
          uploadId,
          1,
          body(Buffer.alloc(MIN_PART_BYTES, 1)),
          MIN_PART_BYTES,
        );
        const info = await store.completeMultipart(key, uploadId, [
          { partNumber: 1, etag: big.etag },
          { partNumber: 2, etag: last.etag },
        ]);
        expect(info.size).to.equal(MIN_PART_BYTES + 3);
      });

      it("refuses part numbers outside 1..10000 and parts past maxBytes", async function () {
        const key = keyOf("multipart/limits");
        const uploadId = await store.createMultipart(key, "text/plain");
        for (const partNumber of [0, -1, 10_001, 1.5]) {
          const error = await rejectionOf(store.putPart(key, uploadId, partNumber, body("x"), 100));
          expect(error, String(partNumber)).to.be.instanceOf(InvalidPartError);
        }
        const tooLarge = await rejectionOf(store.putPart(key, uploadId, 1, body(Buffer.alloc(101)), 100));
        expect(tooLarge).to.be.instanceOf(BlobTooLargeError);
        expect(await store.listParts(key, uploadId)).to.deep.equal([]);
        await store.putPart(key, uploadId, 10_000, body("x"), 100);
        expect((await store.listParts(key, uploadId)).map((part) => part.partNumber)).to.deep.equal([10_000]);
        await store.abortMultipart(key, uploadId);
      });

      it("aborts: the upload is gone, nothing is stored, and aborting again is fine", async function () {
        const key = keyOf("multipart/aborted");
        const uploadId = await store.createMultipart(key, "text/plain");
        const part = await store.putPart(key, uploadId, 1, body("doomed"), 100);
        await store.abortMultipart(key, uploadId);
        expect(await rejectionOf(store.listParts(key, uploadId))).to.be.instanceOf(
          MultipartUploadNotFoundError,
        );
        expect(
          await rejectionOf(store.completeMultipart(key, uploadId, [{ partNumber: 1, etag: part.etag }])),
        ).to.be.instanceOf(MultipartUploadNotFoundError);
        expect(await store.head(key)).to.equal(undefined);
        await store.abortMultipart(key, uploadId);
      });

      it("does not know an upload id it never issued, nor one issued for another key", async function () {
        const key = keyOf("multipart/mine");
        const uploadId = await store.createMultipart(key, "text/plain");
        await store.putPart(key, uploadId, 1, body("mine"), 100);
        for (const [k, id] of [
          [key, "no-such-upload"],
          [key, "../../etc"],
          [keyOf("multipart/theirs"), uploadId],
        ] as const) {
          expect(await rejectionOf(store.listParts(k, id)), `${k} ${id}`).to.be.instanceOf(
            MultipartUploadNotFoundError,
          );
        }
        expect(await store.listParts(key, uploadId)).to.have.length(1);
        await store.abortMultipart(key, uploadId);
      });

      it("completion replaces a blob already under the key", async function () {
        const key = keyOf("multipart/replaced");
        await store.put(key, body("old"), { contentType: "text/plain" });
        const uploadId = await store.createMultipart(key, "application/json");
        const part = await store.putPart(key, uploadId, 1, body("{}"), 100);
        expect((await readAll((await store.get(key))!.body)).toString(), "old until completion").to.equal(
          "old",
        );
        await store.completeMultipart(key, uploadId, [{ partNumber: 1, etag: part.etag }]);
        const got = await store.get(key);
        expect(got!.info.contentType).to.equal("application/json");
        expect((await readAll(got!.body)).toString()).to.equal("{}");
      });
    });

    describe("keys", function () {
      it("rejects invalid keys in every operation, before touching the backend", async function () {
        for (const key of INVALID_KEYS) {
          const label = JSON.stringify(key.slice(0, 20));
          const operations: Promise<unknown>[] = [
            store.put(key, body("x"), { contentType: "text/plain" }),
            store.get(key),
            store.head(key),
            store.delete(key),
            store.createMultipart(key, "text/plain"),
            store.putPart(key, "id", 1, body("x"), 10),
            store.listParts(key, "id"),
            store.completeMultipart(key, "id", [{ partNumber: 1, etag: '"x"' }]),
            store.abortMultipart(key, "id"),
            store.presignPut(key, { contentType: "text/plain", size: 1, expiresInSeconds: 60 }),
            store.publicUrl(key),
          ];
          for (const [i, operation] of operations.entries()) {
            expect(await rejectionOf(operation), `${label} #${i}`).to.be.instanceOf(InvalidBlobKeyError);
          }
        }
      });
    });

    describe("direct client access", function () {
      it("presignPut, when offered, takes a PUT of the bytes that get then reads back", async function () {
        const key = keyOf("direct/upload.jpg");
        const bytes = randomBytes(3000);
        const presigned = await store.presignPut(key, {
          contentType: "image/jpeg",
          size: bytes.length,
          expiresInSeconds: 300,
        });
        if (presigned === undefined) {
          this.skip();
          return;
        }
        expect(presigned.method).to.equal("PUT");
        const response = await fetch(presigned.url, {
          method: "PUT",
          headers: presigned.headers,
          body: bytes,
        });
        expect(response.status, await response.text()).to.be.within(200, 299);
        const got = await store.get(key);
        expect(got!.info).to.deep.include({ size: bytes.length, contentType: "image/jpeg" });
        expect(await readAll(got!.body)).to.deep.equal(bytes);
      });

      it("a presigned PUT is refused for another size or another content type", async function () {
        const key = keyOf("direct/strict.jpg");
        const presigned = await store.presignPut(key, {
          contentType: "image/jpeg",
          size: 10,
          expiresInSeconds: 300,
        });
        if (presigned === undefined) {
          this.skip();
          return;
        }
        const wrongSize = await fetch(presigned.url, {
          method: "PUT",
          headers: presigned.headers,
          body: Buffer.alloc(11),
        });
        expect(wrongSize.status).to.be.within(400, 499);
        await wrongSize.arrayBuffer();
        const wrongType = await fetch(presigned.url, {
          method: "PUT",
          headers: { "content-type": "text/html" },
          body: Buffer.alloc(10),
        });
        expect(wrongType.status).to.be.within(400, 499);
        await wrongType.arrayBuffer();
        expect(await store.head(key)).to.equal(undefined);
      });

      it("publicUrl, when offered, serves the bytes", async function () {
        const key = keyOf("direct/public.png");
        const bytes = randomBytes(500);
        await store.put(key, body(bytes), { contentType: "image/png" });
        const url = await store.publicUrl(key);
        if (url === undefined) {
          this.skip();
          return;
        }
        const response = await fetch(url);
        expect(response.status).to.equal(200);
        expect(Buffer.from(await response.arrayBuffer())).to.deep.equal(bytes);
      });
    });

    describe("lifecycle", function () {
      it("is ready while open; after close it is not, and operations reject BlobStoreClosedError", async function () {
        expect(await store.isReady()).to.equal(true);
        await store.close();
        expect(await store.isReady()).to.equal(false);
        expect(await rejectionOf(store.head(keyOf("x")))).to.be.instanceOf(BlobStoreClosedError);
        expect(
          await rejectionOf(store.put(keyOf("x"), body("x"), { contentType: "text/plain" })),
        ).to.be.instanceOf(BlobStoreClosedError);
        await store.close();
      });
    });
  });
}
