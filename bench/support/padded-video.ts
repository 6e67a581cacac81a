import { appendFile, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Writes a real MP4 (the test fixture) followed by `mb` MiB of padding at `file`: it sniffs and probes as a video,
 * and weighs what a bench asks. Answers its size in bytes.
 */
export async function writePaddedVideo(file: string, mb: number): Promise<number> {
  const clip = await readFile(path.resolve(__dirname, "../../test/fixtures/clip.mp4"));
  await writeFile(file, clip);
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  for (let i = 0; i < mb; i++) await appendFile(file, chunk);
  return clip.length + mb * chunk.length;
}
