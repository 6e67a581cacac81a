import { PassThrough, type Readable } from "node:stream";

/**
 * Reads the first `n` bytes of a stream (fewer if it ends first) and hands back a stream that replays them and
 * then the rest, so the bytes can be sniffed before the upload is stored without buffering the file.
 */
export async function peek(source: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const ended = await new Promise<boolean>((resolve, reject) => {
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
    const cleanup = () => {
      source.off("data", onData);
      source.off("end", onEnd);
      source.off("error", onError);
    };
    function finish(done: boolean) {
      cleanup();
      source.pause();
      resolve(done);
    }
    source.on("data", onData);
    source.once("end", onEnd);
    source.once("error", onError);
  });
  const buffered = Buffer.concat(chunks, size);
  const stream = new PassThrough();
  stream.write(buffered);
  if (ended) stream.end();
  else {
    source.on("error", (err) => stream.destroy(err));
    source.pipe(stream);
  }
  return { head: buffered.subarray(0, n), stream };
}
