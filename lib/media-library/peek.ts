import { PassThrough, pipeline, type Readable } from "node:stream";

/**
 * Reads the first `n` bytes of a stream (fewer if it ends first) and hands back a stream that replays them and
 * then the rest, so the bytes can be sniffed before the upload is stored without buffering the file.
 *
 * A source that fails, at any time, fails the stream handed back, even when it failed before anyone listened
 * (an upload whose request ended while the call to read it was on its way): a reader never waits for bytes
 * that cannot come.
 */
export async function peek(source: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= n) finish(false);
    };
    const onEnd = () => finish(true);
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    // Destroyed without an error: it ended early all the same.
    const onClose = () => onError(source.errored ?? new Error("the upload stream closed before it ended"));
    const cleanup = () => {
      source.off("data", onData);
      source.off("end", onEnd);
      source.off("error", onError);
      source.off("close", onClose);
    };
    // In the same tick as the last listener goes, so that no failure of the source falls between the two.
    function finish(done: boolean) {
      cleanup();
      source.pause();
      const buffered = Buffer.concat(chunks, size);
      const stream = new PassThrough();
      stream.write(buffered);
      if (done) stream.end();
      // A failure of the source destroys `stream` with it; its reader sees it there.
      else pipeline(source, stream, () => undefined);
      resolve({ head: buffered.subarray(0, n), stream });
    }
    if (source.destroyed) {
      onClose();
      return;
    }
    source.on("data", onData);
    source.once("end", onEnd);
    source.once("error", onError);
    source.once("close", onClose);
  });
}
