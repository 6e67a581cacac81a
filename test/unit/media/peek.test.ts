import { PassThrough, Readable } from "node:stream";
import { expect } from "chai";
import { peek } from "../../../lib/media-library/peek";

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Settles within `ms`, or says it hung. */
function within<T>(promise: Promise<T>, ms = 1000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error("hung")), ms).unref()),
  ]);
}

describe("peeking at an upload", () => {
  it("hands back the head and a stream of every byte", async () => {
    const source = Readable.from([Buffer.from("abc"), Buffer.from("defgh"), Buffer.from("ij")]);
    const { head, stream } = await peek(source, 4);
    expect(head.toString()).to.equal("abcd");
    expect((await readAll(stream)).toString()).to.equal("abcdefghij");
  });

  it("fails, rather than waits, for a source that failed before anyone listened", async () => {
    const source = new PassThrough();
    source.on("error", () => undefined);
    source.destroy(new Error("the request ended"));
    await new Promise((r) => setImmediate(r));
    const failure = await within(
      peek(source, 4).then(
        () => undefined,
        (err: unknown) => err,
      ),
    );
    expect(failure).to.be.instanceOf(Error).with.property("message", "the request ended");
  });

  it("fails the stream it handed back when the source fails later, even in the same tick", async () => {
    const source = new PassThrough();
    source.on("error", () => undefined);
    source.write(Buffer.alloc(10, 1));
    const peeked = peek(source, 4);
    // Fails before the caller of peek gets to run again.
    source.destroy(new Error("cut"));
    const { stream } = await peeked;
    const failure = await within(
      readAll(stream).then(
        () => undefined,
        (err: unknown) => err,
      ),
    );
    expect(failure).to.be.instanceOf(Error).with.property("message", "cut");
  });

  it("fails for a source destroyed without an error before it ended", async () => {
    const source = new PassThrough();
    source.write(Buffer.alloc(2));
    const peeked = peek(source, 4);
    source.destroy();
    const failure = await within(
      peeked.then(
        () => undefined,
        (err: unknown) => err,
      ),
    );
    expect(failure).to.be.instanceOf(Error);
  });
});
