import { execFile } from "node:child_process";
import { mkdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import ffmpeg from "fluent-ffmpeg";
import {
  MediaProcessingTimeoutError,
  MediaTooLongError,
  MediaUnreadableError,
  UnsupportedMediaError,
} from "./errors";
import type { MediaVariant } from "./image";
import { sniffFile, type MediaFormat } from "./sniff";

export interface ProbeOptions {
  /** Defaults to the binary of @ffprobe-installer/ffprobe. */
  ffprobePath?: string;
  timeoutMs?: number;
}

export interface VideoProbe {
  /** Undefined when the container does not say (some WebM files). */
  durationMs: number | undefined;
  /** As shown: after the rotation below and the pixel aspect ratio are applied. */
  width: number;
  height: number;
  /** Clockwise degrees a player turns the stored frames by (phones record portrait as rotated landscape). */
  rotation: 0 | 90 | 180 | 270;
  hasAudio: boolean;
  videoCodec: string;
  audioCodec: string | undefined;
}

export interface VideoOptions extends ProbeOptions {
  /** Defaults to the binary of @ffmpeg-installer/ffmpeg. */
  ffmpegPath?: string;
  /** Hard deadline for the transcode; ffmpeg is SIGKILLed past it. Probing has its own, probeTimeoutMs. */
  timeoutMs?: number;
  probeTimeoutMs?: number;
  maxDurationMs?: number;
  /**
   * Told the command line before ffmpeg starts, as fluent-ffmpeg reports it ("ffmpeg" and the arguments joined
   * by spaces): for logs, and for the benchmark to replay it.
   */
  onCommand?: (commandLine: string) => void;
}

export interface VideoResult {
  width: number;
  height: number;
  durationMs: number;
  variants: MediaVariant[];
}

const MAX_SIDE = 720;
/** H.264 High in yuv420p: what every browser and phone plays. */
const H264 = [
  ...["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"],
  ...["-profile:v", "high", "-pix_fmt", "yuv420p"],
];
const DEFAULT_TIMEOUT_MS = 600_000;
const DEFAULT_PROBE_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_DURATION_MS = 600_000;
/** Posters come from 1 s in, past fades from black, for clips long enough to have a second worth showing. */
const POSTER_AT_S = 1;
const POSTER_MIN_DURATION_MS = 2_000;

/**
 * ffmpeg is told which demuxer to use, from the sniffed bytes, and may only open plain files: left to guess,
 * it accepts HLS playlists and other formats that reference further files or URLs, a known way to make a
 * transcoder read the server's own files into the output.
 */
const DEMUXERS: Partial<Record<MediaFormat, string>> = {
  mp4: "mov",
  mov: "mov",
  "3gp": "mov",
  webm: "matroska",
  mkv: "matroska",
};

export async function probeVideo(inputPath: string, opts: ProbeOptions = {}): Promise<VideoProbe> {
  const demuxer = await demuxerFor(inputPath);
  return probe(inputPath, demuxer, opts.ffprobePath ?? (await installedBinary("ffprobe")), opts.timeoutMs);
}

/**
 * One ffmpeg run decodes the input once and writes both outputs: an H.264 High/AAC MP4 with its index first
 * (plays before it has fully downloaded), longest side at most 720, and a poster JPEG of the same size.
 * Players' rotation is applied to the pixels (ffmpeg's autorotate) and all container metadata, GPS included,
 * is dropped.
 */
export async function renderVideo(
  inputPath: string,
  outDir: string,
  opts: VideoOptions = {},
): Promise<VideoResult> {
  const maxDurationMs = opts.maxDurationMs ?? DEFAULT_MAX_DURATION_MS;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const demuxer = await demuxerFor(inputPath);
  const ffprobePath = opts.ffprobePath ?? (await installedBinary("ffprobe"));
  const ffmpegPath = opts.ffmpegPath ?? (await installedBinary("ffmpeg"));
  const info = await probe(inputPath, demuxer, ffprobePath, opts.probeTimeoutMs);
  if (info.durationMs !== undefined && info.durationMs > maxDurationMs)
    throw new MediaTooLongError(info.durationMs, maxDurationMs);

  const { width, height } = fitWithin(info.width, info.height, MAX_SIDE);
  const scale = `scale=${width}:${height},setsar=1`;
  const mp4 = path.join(outDir, "video.mp4");
  const poster = path.join(outDir, "poster.jpg");
  const posterAt =
    info.durationMs !== undefined && info.durationMs < POSTER_MIN_DURATION_MS ? 0 : POSTER_AT_S;
  const strip = ["-map_metadata", "-1", "-map_chapters", "-1"];

  await mkdir(outDir, { recursive: true });
  // fluent-ffmpeg keeps one ffmpeg path per process, set here on every call: configuration gives one path.
  const command = ffmpeg()
    .setFfmpegPath(ffmpegPath)
    .input(fileUrl(inputPath))
    .inputOptions(["-v", "error", "-nostdin", "-protocol_whitelist", "file", "-f", demuxer])
    .output(mp4)
    .outputOptions([
      ...["-map", "0:v:0", ...(info.hasAudio ? ["-map", "0:a:0"] : [])],
      ...strip,
      ...["-vf", scale],
      ...H264,
      // Stereo: multichannel AAC at 128k sounds poor and some browsers will not play it.
      ...(info.hasAudio ? ["-c:a", "aac", "-b:a", "128k", "-ac", "2"] : ["-an"]),
      // The limit holds even when the container lies about (or omits) its duration.
      ...["-t", String(maxDurationMs / 1000)],
      ...["-movflags", "+faststart", "-f", "mp4"],
    ])
    .output(poster)
    .outputOptions([
      ...["-map", "0:v:0", ...strip, "-ss", String(posterAt), "-frames:v", "1"],
      ...["-vf", scale, "-q:v", "3", "-f", "image2"],
    ]);
  if (opts.onCommand) command.on("start", opts.onCommand);

  let sizes: number[];
  try {
    await run(command, inputPath, timeoutMs);
    sizes = await Promise.all([mp4, poster].map(sizeOrZero));
    // ffmpeg can exit 0 having decoded no frame at all (nothing after the first second, or no usable frame).
    if (sizes.some((size) => size === 0))
      throw new MediaUnreadableError("ffmpeg decoded no usable frame from the video");
  } catch (err) {
    await Promise.all([rm(mp4, { force: true }), rm(poster, { force: true })]);
    throw err;
  }
  const durationMs = Math.min(info.durationMs ?? maxDurationMs, maxDurationMs);
  return {
    width,
    height,
    durationMs,
    variants: [
      { name: "mp4", path: mp4, width, height, contentType: "video/mp4", size: sizes[0]! },
      { name: "poster", path: poster, width, height, contentType: "image/jpeg", size: sizes[1]! },
    ],
  };
}

async function sizeOrZero(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

/** Even sizes (yuv420p needs them), aspect kept, never enlarged. */
function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const even = (n: number) => Math.max(2, 2 * Math.floor((n * scale) / 2));
  return { width: even(width), height: even(height) };
}

async function demuxerFor(inputPath: string): Promise<string> {
  const sniffed = await sniffFile(inputPath);
  const demuxer = sniffed && DEMUXERS[sniffed.format];
  if (!demuxer) throw new UnsupportedMediaError("the file is not a video we accept");
  return demuxer;
}

/** An explicit file: URL, so a path containing a colon is never read as some other protocol. */
function fileUrl(inputPath: string): string {
  return `file:${path.resolve(inputPath)}`;
}

async function installedBinary(tool: "ffmpeg" | "ffprobe"): Promise<string> {
  // Loaded on demand: these packages throw at load time on a platform they have no binary for.
  const installer =
    tool === "ffmpeg" ? await import("@ffmpeg-installer/ffmpeg") : await import("@ffprobe-installer/ffprobe");
  return installer.default.path;
}

function run(command: ffmpeg.FfmpegCommand, inputPath: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      command.kill("SIGKILL");
    }, timeoutMs);
    // fluent-ffmpeg checks the binary's capabilities before spawning it: a deadline that passed meanwhile
    // still kills the process as soon as it exists.
    command.on("start", () => {
      if (timedOut) command.kill("SIGKILL");
    });
    command.on("end", () => {
      clearTimeout(timer);
      if (timedOut) reject(new MediaProcessingTimeoutError("ffmpeg", timeoutMs));
      else resolve();
    });
    command.on("error", (err: Error, _stdout: string | null, stderr: string | null) => {
      clearTimeout(timer);
      if (timedOut) return reject(new MediaProcessingTimeoutError("ffmpeg", timeoutMs));
      if (!/ffmpeg exited with code/.test(err.message)) return reject(err); // could not start it at all
      const why = lastLine(stderr, inputPath) ?? err.message;
      reject(new MediaUnreadableError(`ffmpeg cannot transcode the video: ${why}`, { cause: err }));
    });
    command.run();
  });
}

async function probe(
  inputPath: string,
  demuxer: string,
  ffprobePath: string,
  timeoutMs = DEFAULT_PROBE_TIMEOUT_MS,
): Promise<VideoProbe> {
  const args = ["-v", "error", "-protocol_whitelist", "file", "-f", demuxer];
  args.push("-print_format", "json", "-show_format", "-show_streams", fileUrl(inputPath));
  const stdout = await new Promise<string>((resolve, reject) => {
    const options = { timeout: timeoutMs, killSignal: "SIGKILL" as const, maxBuffer: 4 << 20 };
    execFile(ffprobePath, args, options, (err, out, stderr) => {
      if (!err) return resolve(out);
      // Megabytes of streams or of complaints: a pathological file.
      if (err.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER")
        return reject(new MediaUnreadableError("ffprobe said too much about the video", { cause: err }));
      if (typeof err.code === "string")
        return reject(new Error(`ffprobe could not run: ${err.message}`, { cause: err })); // ENOENT, EACCES
      if (err.killed) return reject(new MediaProcessingTimeoutError("ffprobe", timeoutMs));
      const why = lastLine(stderr, inputPath) ?? `exit code ${err.code}`;
      reject(new MediaUnreadableError(`ffprobe cannot read the video: ${why}`, { cause: err }));
    });
  });
  return parseProbe(JSON.parse(stdout) as FfprobeOutput);
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  duration?: string;
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { duration?: string };
}

function parseProbe(out: FfprobeOutput): VideoProbe {
  const streams = out.streams ?? [];
  const video = streams.find((s) => s.codec_type === "video" && s.width && s.height);
  if (!video?.width || !video.height) throw new UnsupportedMediaError("the file has no video track");
  const audio = streams.find((s) => s.codec_type === "audio");

  const rotation = rotationOf(video);
  const sar = /^(\d+):(\d+)$/.exec(video.sample_aspect_ratio ?? "");
  const sarRatio = sar && Number(sar[1]) > 0 && Number(sar[2]) > 0 ? Number(sar[1]) / Number(sar[2]) : 1;
  const storedWidth = Math.round(video.width * sarRatio);
  const turned = rotation === 90 || rotation === 270;
  const seconds = Number(out.format?.duration ?? video.duration);

  return {
    durationMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined,
    width: turned ? video.height : storedWidth,
    height: turned ? storedWidth : video.height,
    rotation,
    hasAudio: audio !== undefined,
    videoCodec: video.codec_name ?? "unknown",
    audioCodec: audio?.codec_name,
  };
}

/**
 * Older ffprobe reports a clockwise "rotate" tag; newer ones only the display matrix, whose rotation is
 * counter-clockwise. The configured ffprobe may be either.
 */
function rotationOf(video: FfprobeStream): VideoProbe["rotation"] {
  const tag = Number(video.tags?.rotate);
  const matrix = video.side_data_list?.find((d) => typeof d.rotation === "number")?.rotation;
  const clockwise = Number.isFinite(tag) && video.tags?.rotate !== undefined ? tag : -(matrix ?? 0);
  const quarter = ((Math.round(clockwise / 90) % 4) + 4) % 4;
  return ([0, 90, 180, 270] as const)[quarter]!;
}

/** The tool's last words, with our file path replaced: the message may reach the uploader. */
function lastLine(text: string | null | undefined, inputPath: string): string | undefined {
  return text
    ?.split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .at(-1)
    ?.replaceAll(fileUrl(inputPath), "input");
}
