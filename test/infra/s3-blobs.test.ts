import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { S3BlobStore } from "../../lib/blobs/s3";
import type { S3BlobStoreOptions } from "../../lib/blobs/s3";
import { BlobStoreAccessDeniedError, BlobStoreUnavailableError } from "../../lib/blobs/errors";
import { describeBlobStoreContract, readAll, rejectionOf } from "../unit/blobs/contract";

/**
 * The S3 adapter against a real S3-compatible server: scripts/infra/s3proxy.sh up starts S3Proxy on
 * 127.0.0.1:8081 (SigV4, access key mosaic / mosaic-secret-key). One fresh bucket per run.
 */
const S3_ENDPOINT = process.env.S3_ENDPOINT ?? "http://127.0.0.1:8081";
const BUCKET = `mosaic-test-${randomBytes(5).toString("hex")}`;

function options(overrides: Partial<S3BlobStoreOptions> = {}): S3BlobStoreOptions {
  return {
    endpoint: S3_ENDPOINT,
    region: "us-east-1",
    bucket: BUCKET,
    accessKeyId: process.env.S3_ACCESS_KEY_ID ?? "mosaic",
    secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? "mosaic-secret-key",
    forcePathStyle: true,
    createBucket: true,
    requestTimeoutMs: 10_000,
    ...overrides,
  };
}

/** Empties and drops a test bucket, so that runs do not pile up data in S3Proxy's folder. */
async function dropBucket(bucket: string): Promise<void> {
  const o = options();
  const client = new S3Client({
    endpoint: o.endpoint,
    region: o.region,
    forcePathStyle: true,
    credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  try {
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const upload of uploads.Uploads ?? []) {
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
      );
    }
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
      }
      token = page.NextContinuationToken;
    } while (token !== undefined);
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (error: unknown) {
    if (!(error instanceof Error && error.name === "NoSuchBucket")) throw error;
  } finally {
    client.destroy();
  }
}

const createdBuckets = [BUCKET];
after(async function () {
  this.timeout(60_000);
  for (const bucket of createdBuckets) await dropBucket(bucket);
});

describeBlobStoreContract("S3BlobStore", () => {
  const store = new S3BlobStore(options());
  return Promise.resolve({ store, teardown: () => store.close() });
});

/** A local port that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return port;
}

describe("S3BlobStore", function () {
  this.timeout(60_000);
  const stores: S3BlobStore[] = [];
  const open = (overrides: Partial<S3BlobStoreOptions> = {}) => {
    const store = new S3BlobStore(options(overrides));
    stores.push(store);
    return store;
  };

  afterEach(async function () {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  it("is refused with a wrong secret key: SigV4 signatures are really checked", async function () {
    const good = open();
    await good.put("auth/probe", Readable.from([Buffer.from("secret")]), { contentType: "text/plain" });
    const wrong = open({ secretAccessKey: "not-the-secret-key", createBucket: false });
    expect(await wrong.isReady()).to.equal(false);
    expect(await rejectionOf(wrong.head("auth/probe"))).to.be.instanceOf(BlobStoreAccessDeniedError);
    expect(await rejectionOf(wrong.get("auth/probe"))).to.be.instanceOf(BlobStoreAccessDeniedError);
    expect(
      await rejectionOf(
        wrong.put("auth/intruder", Readable.from([Buffer.from("x")]), { contentType: "text/plain" }),
      ),
    ).to.be.instanceOf(BlobStoreAccessDeniedError);
    const unknown = open({ accessKeyId: "nobody", createBucket: false });
    expect(await rejectionOf(unknown.head("auth/probe"))).to.be.instanceOf(BlobStoreAccessDeniedError);
    expect(await good.head("auth/intruder")).to.equal(undefined);
  });

  it("rejects BlobStoreUnavailableError quickly when the server is down, and is not ready", async function () {
    const port = await closedPort();
    const down = open({ endpoint: `http://127.0.0.1:${port}`, requestTimeoutMs: 2_000 });
    const started = Date.now();
    expect(await rejectionOf(down.head("outage/x"))).to.be.instanceOf(BlobStoreUnavailableError);
    expect(Date.now() - started, "ms to fail").to.be.below(3_000);
    const body = Readable.from([Buffer.from("x")]);
    expect(await rejectionOf(down.put("outage/x", body, { contentType: "text/plain" }))).to.be.instanceOf(
      BlobStoreUnavailableError,
    );
    expect(await rejectionOf(down.createMultipart("outage/x", "text/plain"))).to.be.instanceOf(
      BlobStoreUnavailableError,
    );
    expect(await down.isReady()).to.equal(false);
  });

  it("times out a server that accepts the connection but never answers", async function () {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const hung = open({ endpoint: `http://127.0.0.1:${port}`, requestTimeoutMs: 500, createBucket: false });
      const started = Date.now();
      expect(await rejectionOf(hung.head("outage/y"))).to.be.instanceOf(BlobStoreUnavailableError);
      expect(Date.now() - started, "ms to fail").to.be.below(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("creates its bucket on first use when asked to", async function () {
    const bucket = `mosaic-test-${randomBytes(5).toString("hex")}`;
    createdBuckets.push(bucket);
    const absent = open({ bucket, createBucket: false });
    expect(await absent.isReady()).to.equal(false);
    const creating = open({ bucket, createBucket: true });
    expect(await creating.isReady()).to.equal(true);
    await creating.put("x", Readable.from([Buffer.from("made")]), { contentType: "text/plain" });
    expect((await readAll((await absent.get("x"))!.body)).toString()).to.equal("made");
    await creating.delete("x");
  });

  it("keeps streaming a download whose reader pauses for longer than the request timeout", async function () {
    const store = open({ requestTimeoutMs: 500 });
    const bytes = Buffer.alloc(12 * 1024 * 1024, 5);
    await store.put("slow/reader.bin", Readable.from([bytes]), { contentType: "video/mp4" });
    const got = await store.get("slow/reader.bin");
    got!.body.pause();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await readAll(got!.body)).equals(bytes)).to.equal(true);
    await store.delete("slow/reader.bin");
  });

  it("uses publicBaseUrl for public URLs when configured", async function () {
    const store = open({ publicBaseUrl: "https://cdn.example.test/media/" });
    expect(await store.publicUrl("users/1/avatar.jpg")).to.equal(
      "https://cdn.example.test/media/users/1/avatar.jpg",
    );
  });

  it("presigns GETs of private files even with a public base URL, the same URL within a bucket", async function () {
    const store = open({ publicBaseUrl: "https://cdn.example.test/media/" });
    await store.put("private/x.txt", Readable.from([Buffer.from("secret")]), { contentType: "text/plain" });
    const options = { expiresInSeconds: 60, bucketSeconds: 3600 };
    const url = await store.presignGet("private/x.txt", options);
    expect(url).to.not.contain("cdn.example.test");
    expect(await store.presignGet("private/x.txt", options)).to.equal(url);
    const response = await fetch(url);
    expect(response.status).to.equal(200);
    expect(await response.text()).to.equal("secret");
    await store.delete("private/x.txt");
  });

  it("a presigned PUT expires", async function () {
    const store = open();
    const presigned = await store.presignPut("expiring/x", {
      contentType: "text/plain",
      size: 1,
      expiresInSeconds: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const response = await fetch(presigned.url, { method: "PUT", headers: presigned.headers, body: "x" });
    expect(response.status).to.equal(403);
    await response.arrayBuffer();
    expect(await store.head("expiring/x")).to.equal(undefined);
  });
});
