import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import ffmpegInstaller from "@ffmpeg-installer/ffmpeg";
import sharp from "sharp";
import { IMAGE_VARIANTS, renderImage } from "../lib/media/image";
import { renderVideo } from "../lib/media/video";

/**
 * lib/media against the raw tools it drives, in one run:
 *   - images: variants per second through renderImage against the same sharp calls made directly (and, for
 *     scale, the naive way: one pipeline per variant, each decoding the file);
 *   - video: renderVideo against the identical ffmpeg command line run with child_process.
 * On the committed fixtures and on larger generated inputs (a 12 MP photo, a 10 s 1280×720 clip).
 *
 *   tsx bench/media.ts [--images 40] [--videos 5]
 */
const FIXTURES = path.resolve(__dirname, "../test/fixtures");
const FFMPEG = ffmpegInstaller.path;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Our pipeline's sharp work, called directly: header, one decode, three encodes, the blurhash render. */
async function sharpDirect(input: string, outDir: string): Promise<void> {
  const options = { limitInputPixels: 100_000_000, failOn: "error" } as const;
  await sharp(input, options).metadata();
  const { data, info } = await sharp(input, options)
    .autoOrient()
    .resize(1080, 1080, { fit: "inside", withoutEnlargement: true })
    .toColourspace("srgb")
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: 4 as const } };
  await Promise.all([
    ...IMAGE_VARIANTS.map(({ name, maxSide }) =>
      sharp(data, raw)
        .resize(maxSide, maxSide, { fit: "inside", withoutEnlargement: true })
        .removeAlpha()
        .jpeg({ quality: 82, mozjpeg: true })
        .toFile(path.join(outDir, `${name}.jpg`)),
    ),
    sharp(data, raw)
      .flatten({ background: "#ffffff" })
      .resize(32, 32, { fit: "inside", withoutEnlargement: true })
      .ensureAlpha()
      .raw()
      .toBuffer(),
  ]);
}

/** How sharp is usually called: one pipeline per variant, each reading and decoding the file. */
async function sharpNaive(input: string, outDir: string): Promise<void> {
  await Promise.all(
    IMAGE_VARIANTS.map(({ name, maxSide }) =>
      sharp(input)
        .autoOrient()
        .resize(maxSide, maxSide, { fit: "inside", withoutEnlargement: true })
        .jpeg({ quality: 82, mozjpeg: true })
        .toFile(path.join(outDir, `${name}.jpg`)),
    ),
  );
}

/** Runs each contender in turn, round after round, so drift (thermal, page cache) hits all alike. */
async function interleaved(
  rounds: number,
  contenders: Record<string, () => Promise<unknown>>,
): Promise<Record<string, number[]>> {
  const times: Record<string, number[]> = {};
  for (const fn of Object.values(contenders)) await fn(); // warm up
  for (let i = 0; i < rounds; i++)
    for (const [name, fn] of Object.entries(contenders)) {
      const start = process.hrtime.bigint();
      await fn();
      (times[name] ??= []).push(seconds(start));
    }
  return times;
}

async function benchImages(label: string, input: string, rounds: number, dir: string): Promise<void> {
  const out = path.join(dir, "image-out");
  await mkdir(out, { recursive: true });
  const times = await interleaved(rounds, {
    ours: () => renderImage(input, out),
    direct: () => sharpDirect(input, out),
    naive: () => sharpNaive(input, out),
  });
  const perSecond = (xs: number[]) => (IMAGE_VARIANTS.length * xs.length) / xs.reduce((a, b) => a + b, 0);
  const ours = perSecond(times.ours!);
  const direct = perSecond(times.direct!);
  const naive = perSecond(times.naive!);
  console.log(
    `${label.padEnd(30)} renderImage ${ours.toFixed(1).padStart(6)} variants/s | sharp direct ${direct
      .toFixed(1)
      .padStart(6)} | ratio ${(ours / direct).toFixed(3)} | naive 3×decode ${naive.toFixed(1).padStart(6)}`,
  );
}

async function spawnFfmpeg(args: string[]): Promise<void> {
  const child = spawn(FFMPEG, args, { stdio: ["ignore", "ignore", "inherit"] });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`ffmpeg exited with ${code}`);
}

async function benchVideo(label: string, input: string, rounds: number, dir: string): Promise<void> {
  const out = path.join(dir, "video-out");
  let commandLine = "";
  await renderVideo(input, out, { onCommand: (line) => (commandLine = line) });
  // The reported line is "ffmpeg" and the arguments joined by spaces; the bench's paths have none in them.
  if (/\s/.test(input + out)) throw new Error("bench paths must not contain spaces");
  const args = commandLine.split(" ").slice(1);
  const times = await interleaved(rounds, {
    ours: () => renderVideo(input, out),
    direct: () => spawnFfmpeg(args),
  });
  const [ours, direct] = [times.ours!, times.direct!];
  const ms = (x: number) => `${(x * 1000).toFixed(0).padStart(5)} ms`;
  // The best run is what the work costs; the median shows how much the machine's other load got in the way.
  console.log(
    `${label.padEnd(30)} renderVideo best ${ms(Math.min(...ours))} median ${ms(median(ours))} | ` +
      `ffmpeg direct best ${ms(Math.min(...direct))} median ${ms(median(direct))} | ` +
      `ratio best ${(Math.min(...ours) / Math.min(...direct)).toFixed(3)} median ${(median(ours) / median(direct)).toFixed(3)}`,
  );
}

async function main(): Promise<void> {
  const imageRounds = arg("images", 40);
  const videoRounds = arg("videos", 7);
  const dir = await mkdtemp(path.join(os.tmpdir(), "mosaic-bench-media-"));
  try {
    const photo = path.join(dir, "12mp.jpg");
    // Sensor-like noise over grey: about the 3-4 MB a phone's 12 MP JPEG weighs.
    const noise = { type: "gaussian", mean: 128, sigma: 12 } as const;
    await sharp({ create: { width: 4032, height: 3024, channels: 3, background: "#808080", noise } })
      .jpeg({ quality: 90 })
      .toFile(photo);
    const clip = path.join(dir, "720p-10s.mp4");
    await spawnFfmpeg([
      ...["-v", "error", "-y", "-nostdin"],
      ...["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=10"],
      ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=10"],
      ...["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", clip],
    ]);

    console.log(`generated 12 MP JPEG: ${((await stat(photo)).size / 1e6).toFixed(1)} MB`);
    console.log(
      `images: ${imageRounds} rounds each, 3 variants per round; videos: ${videoRounds} rounds each`,
    );
    await benchImages("photo-gps.jpg (1200×800)", path.join(FIXTURES, "photo-gps.jpg"), imageRounds, dir);
    await benchImages("12 MP JPEG (4032×3024)", photo, Math.max(3, Math.round(imageRounds / 4)), dir);
    await benchVideo("clip.mp4 (3 s 320×240)", path.join(FIXTURES, "clip.mp4"), videoRounds, dir);
    await benchVideo("10 s 1280×720 H.264/AAC", clip, videoRounds, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
