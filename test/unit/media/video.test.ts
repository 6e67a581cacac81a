import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import ffmpegInstaller from "@ffmpeg-installer/ffmpeg";
import ffprobeInstaller from "@ffprobe-installer/ffprobe";
import { expect } from "chai";
import sharp from "sharp";
import {
  MediaProcessingTimeoutError,
  MediaTooLongError,
  MediaUnreadableError,
  UnsupportedMediaError,
  probeVideo,
  renderVideo,
  sniffFile,
  type VideoResult,
} from "../../../lib/media";

const run = promisify(execFile);
const FIXTURES = path.resolve(__dirname, "../../fixtures");
const CLIP = path.join(FIXTURES, "clip.mp4");
const VP8_OPUS = [
  "-c:v",
  "libvpx",
  "-deadline",
  "realtime",
  "-b:v",
  "300k",
  "-c:a",
  "libopus",
  "-ar",
  "48000",
];

/** The top-level boxes of an ISO BMFF file, in order. */
function topLevelAtoms(file: Buffer): string[] {
  const atoms: string[] = [];
  for (let at = 0; at + 8 <= file.length;) {
    let size = file.readUInt32BE(at);
    if (size === 1) size = Number(file.readBigUInt64BE(at + 8));
    if (size === 0) size = file.length - at;
    atoms.push(file.toString("latin1", at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return atoms;
}

interface ProbedStream {
  codec_type: string;
  codec_name: string;
  profile?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  channels?: number;
  side_data_list?: { rotation?: number }[];
  tags?: Record<string, string>;
}

async function ffprobe(
  file: string,
): Promise<{ streams: ProbedStream[]; format: { duration: string; tags?: object } }> {
  const { stdout } = await run(ffprobeInstaller.path, [
    ...["-v", "error", "-print_format", "json", "-show_format", "-show_streams", file],
  ]);
  return JSON.parse(stdout) as { streams: ProbedStream[]; format: { duration: string; tags?: object } };
}

/** A copy of the clip whose track header says what an iPhone's says for portrait: turn 90° clockwise. */
async function portraitCopy(source: Buffer, target: string): Promise<void> {
  const copy = Buffer.from(source);
  const tkhd = copy.indexOf("tkhd");
  // version 0 tkhd: 4 bytes version/flags, 20 of times/ids/duration, 8 reserved, 8 of layer/volume.
  const matrix = tkhd + 4 + 4 + 20 + 8 + 8;
  [0, 0x10000, 0, 0xffff0000, 0, 0, 0, 0, 0x40000000].forEach((v, i) =>
    copy.writeUInt32BE(v, matrix + 4 * i),
  );
  await writeFile(target, copy);
}

/** A 1.2 s clip, red in its stored top-left corner and blue elsewhere, no audio. */
async function markedClip(target: string): Promise<void> {
  await run(ffmpegInstaller.path, [
    ...["-v", "error", "-y", "-nostdin", "-f", "lavfi"],
    ...["-i", "color=c=blue:s=320x240:r=25:d=1.2,drawbox=x=0:y=0:w=80:h=60:color=red:t=fill"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", target],
  ]);
}

async function pixel(file: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + 3)];
}

describe("probeVideo", () => {
  it("reads duration, size, codecs and audio of the fixture", async () => {
    expect(await probeVideo(CLIP)).to.deep.equal({
      durationMs: 3000,
      width: 320,
      height: 240,
      rotation: 0,
      hasAudio: true,
      videoCodec: "h264",
      audioCodec: "aac",
    });
  });

  it("refuses what is not a video, before ffprobe sees it", async () => {
    const err = await probeVideo(path.join(FIXTURES, "not-an-image.jpg")).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UnsupportedMediaError);
  });
});

describe("renderVideo", function () {
  this.timeout(60_000);
  let out: string;
  beforeEach(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), "mosaic-video-"));
  });
  afterEach(async () => {
    await rm(out, { recursive: true, force: true });
  });

  describe("the 3 s 320×240 H.264/AAC fixture", () => {
    let result: VideoResult;
    let commandLine: string;
    beforeEach(async () => {
      result = await renderVideo(CLIP, path.join(out, "rendered"), {
        onCommand: (line) => (commandLine = line),
      });
    });

    it("writes an MP4 and a poster the same size as the input, which is within 720", () => {
      expect(result).to.include({ width: 320, height: 240, durationMs: 3000 });
      expect(result.variants.map((v) => [v.name, v.width, v.height, v.contentType])).to.deep.equal([
        ["mp4", 320, 240, "video/mp4"],
        ["poster", 320, 240, "image/jpeg"],
      ]);
    });

    it("puts ftyp first and moov before mdat, which the input did not", async () => {
      expect(topLevelAtoms(await readFile(CLIP)).indexOf("moov")).to.be.greaterThan(
        topLevelAtoms(await readFile(CLIP)).indexOf("mdat"),
      );
      const atoms = topLevelAtoms(await readFile(result.variants[0]!.path));
      expect(atoms[0]).to.equal("ftyp");
      expect(atoms).to.include.members(["moov", "mdat"]);
      expect(atoms.indexOf("moov")).to.be.lessThan(atoms.indexOf("mdat"));
    });

    it("encodes H.264 High yuv420p and stereo AAC, lasting as long as the input", async () => {
      const probed = await ffprobe(result.variants[0]!.path);
      const video = probed.streams.find((s) => s.codec_type === "video")!;
      const audio = probed.streams.find((s) => s.codec_type === "audio")!;
      expect(video).to.include({
        codec_name: "h264",
        profile: "High",
        pix_fmt: "yuv420p",
        width: 320,
        height: 240,
      });
      expect(audio).to.include({ codec_name: "aac", channels: 2 });
      expect(Number(probed.format.duration) * 1000).to.be.closeTo(3000, 100);
      expect(commandLine).to.include("-crf 23").and.include("-preset veryfast").and.include("-b:a 128k");
    });

    it("drops the container's metadata, the location included", async () => {
      expect(JSON.stringify((await ffprobe(CLIP)).format.tags)).to.include("+48.8584");
      const tags = JSON.stringify((await ffprobe(result.variants[0]!.path)).format.tags ?? {});
      expect(tags).to.not.include("48.8584").and.not.include("Mosaic fixture");
      expect((await readFile(result.variants[0]!.path)).toString("latin1")).to.not.include("48.8584");
    });

    it("writes a JPEG poster", async () => {
      const poster = result.variants[1]!;
      const bytes = await readFile(poster.path);
      expect([...bytes.subarray(0, 3)]).to.deep.equal([0xff, 0xd8, 0xff]);
      expect(bytes.length).to.equal(poster.size);
      expect(await sharp(poster.path).metadata()).to.include({ format: "jpeg", width: 320, height: 240 });
    });
  });

  it("applies a phone's portrait rotation to the pixels, poster included", async () => {
    const landscape = path.join(out, "marked.mp4");
    const portrait = path.join(out, "portrait.mp4");
    await markedClip(landscape);
    await portraitCopy(await readFile(landscape), portrait);
    expect(await probeVideo(portrait)).to.include({ width: 240, height: 320, rotation: 90, hasAudio: false });

    const result = await renderVideo(portrait, path.join(out, "rendered"));
    expect(result).to.include({ width: 240, height: 320 });
    const probed = await ffprobe(result.variants[0]!.path);
    expect(probed.streams.map((s) => s.codec_type)).to.deep.equal(["video"]);
    const video = probed.streams[0]!;
    expect(video).to.include({ width: 240, height: 320 });
    expect(video.side_data_list ?? [], "no rotation left for players to apply twice").to.deep.equal([]);
    // Turned clockwise, the stored top-left corner is shown top-right; the 1.2 s clip's poster is frame one.
    const poster = result.variants[1]!.path;
    const [r, , b] = await pixel(poster, 240 - 10, 10);
    expect(r).to.be.above(180);
    expect(b).to.be.below(80);
    expect((await pixel(poster, 10, 10))[2]).to.be.above(180);
  });

  it("scales a larger video so its longest side is 720, even sizes, aspect kept", async () => {
    const big = path.join(out, "big.mp4");
    await run(ffmpegInstaller.path, [
      ...["-v", "error", "-y", "-nostdin", "-f", "lavfi", "-i", "testsrc=size=1279x721:rate=25:duration=0.4"],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p", big],
    ]);
    const result = await renderVideo(big, path.join(out, "rendered"));
    expect(result).to.include({ width: 720, height: 404 });
    const video = (await ffprobe(result.variants[0]!.path)).streams[0]!;
    expect(video).to.include({ width: 720, height: 404, pix_fmt: "yuv420p" });
  });

  it("takes QuickTime, WebM and Matroska too, each through the demuxer its bytes call for", async () => {
    const containers = [
      {
        name: "clip.mov",
        format: "mov",
        codecs: ["-c", "copy"],
        probed: { videoCodec: "h264", audioCodec: "aac" },
      },
      {
        name: "clip.webm",
        format: "webm",
        codecs: VP8_OPUS,
        probed: { videoCodec: "vp8", audioCodec: "opus" },
      },
      {
        name: "clip.mkv",
        format: "mkv",
        codecs: VP8_OPUS,
        probed: { videoCodec: "vp8", audioCodec: "opus" },
      },
    ];
    for (const { name, format, codecs, probed } of containers) {
      const input = path.join(out, name);
      await run(ffmpegInstaller.path, [
        "-v",
        "error",
        "-y",
        "-nostdin",
        "-t",
        "1",
        "-i",
        CLIP,
        ...codecs,
        input,
      ]);
      expect(await sniffFile(input), name).to.include({ format, kind: "video" });
      expect(await probeVideo(input), name).to.include({
        ...probed,
        width: 320,
        height: 240,
        hasAudio: true,
      });
      const result = await renderVideo(input, path.join(out, `${name}-rendered`));
      expect(result, name).to.include({ width: 320, height: 240 });
      expect(result.durationMs, name).to.be.closeTo(1000, 100);
      const streams = (await ffprobe(result.variants[0]!.path)).streams.map((s) => s.codec_name);
      expect(streams, name).to.deep.equal(["h264", "aac"]);
    }
  });

  it("refuses a video longer than allowed before transcoding anything", async () => {
    let started = false;
    const err = await renderVideo(CLIP, out, {
      maxDurationMs: 1000,
      onCommand: () => (started = true),
    }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(MediaTooLongError);
    expect(err).to.include({ durationMs: 3000, maxDurationMs: 1000 });
    expect(started).to.equal(false);
  });

  it("kills ffmpeg at the deadline and leaves no partial output", async () => {
    for (const timeoutMs of [1, 40]) {
      const err = await renderVideo(CLIP, out, { timeoutMs }).catch((e: unknown) => e);
      expect(err, `${timeoutMs} ms`).to.be.instanceOf(MediaProcessingTimeoutError);
      expect(await readdir(out)).to.deep.equal([]);
    }
  });

  it("refuses a truncated MP4 whose index was never written, with ffprobe's complaint", async () => {
    const truncated = path.join(out, "truncated.mp4");
    const clip = await readFile(CLIP);
    await writeFile(truncated, clip.subarray(0, clip.length / 2));
    const err = await renderVideo(truncated, path.join(out, "rendered")).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(MediaUnreadableError);
    expect((err as Error).message).to.match(/Invalid data found/);
    expect((err as Error).message, "no server path in the message").to.not.include(out);
  });

  it("refuses an MP4 whose media data is garbage, with ffmpeg's last line", async () => {
    const corrupt = path.join(out, "corrupt.mp4");
    const clip = Buffer.from(await readFile(CLIP));
    const mdat = clip.indexOf("mdat");
    let seed = 7;
    for (let i = mdat + 4; i < clip.indexOf("moov") - 4; i++)
      clip[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    await writeFile(corrupt, clip);
    const err = await renderVideo(corrupt, path.join(out, "rendered")).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(MediaUnreadableError);
    expect((err as Error).message).to.match(/^ffmpeg cannot transcode the video: \S/);
    expect(await readdir(path.join(out, "rendered"))).to.deep.equal([]);
  });

  it("refuses what is not a video, an HLS playlist posing as one included", async () => {
    // A playlist makes ffmpeg open the files or URLs it lists: the classic way to read a server's files.
    const playlist = path.join(out, "upload.mp4");
    await writeFile(
      playlist,
      "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
    );
    for (const input of [
      playlist,
      path.join(FIXTURES, "not-an-image.jpg"),
      path.join(FIXTURES, "photo-gps.jpg"),
    ]) {
      let started = false;
      const err = await renderVideo(input, out, { onCommand: () => (started = true) }).catch(
        (e: unknown) => e,
      );
      expect(err, input).to.be.instanceOf(UnsupportedMediaError);
      expect(started, input).to.equal(false);
    }
  });
});
