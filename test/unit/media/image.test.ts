import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { decode, isBlurhashValid } from "blurhash";
import { expect } from "chai";
import sharp from "sharp";
import {
  MediaTooLargeError,
  MediaUnreadableError,
  UnsupportedMediaError,
  renderImage,
  type ImageResult,
} from "../../../lib/media";

const FIXTURES = path.resolve(__dirname, "../../fixtures");
const fixture = (name: string) => path.join(FIXTURES, name);

const GPS_IFD_POINTER = 0x8825;

/** The tags of IFD0 in a TIFF-structured EXIF block (after sharp's "Exif\0\0" prefix). */
function ifd0Tags(exif: Buffer): number[] {
  const tiff = exif.subarray(6);
  const little = tiff.toString("latin1", 0, 2) === "II";
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd = u32(4);
  return Array.from({ length: u16(ifd) }, (_, i) => u16(ifd + 2 + 12 * i));
}

/** Markers of metadata in an encoded file, whatever the container: none may survive the pipeline. */
const LEAKS = ["Exif", "GPS", "ICC_PROFILE", "http://ns.adobe.com", "xmpmeta", "Mosaic", "Fixture Camera"];

function isRed([r, g, b]: readonly number[]): boolean {
  return r! > 200 && g! < 60 && b! < 60;
}

async function pixel(file: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + info.channels)];
}

describe("renderImage", function () {
  let out: string;
  beforeEach(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), "mosaic-image-"));
  });
  afterEach(async () => {
    await rm(out, { recursive: true, force: true });
  });

  describe("a 1200×800 JPEG with orientation 6, GPS, XMP and a P3 profile", () => {
    let result: ImageResult;
    beforeEach(async () => {
      result = await renderImage(fixture("photo-gps.jpg"), out);
    });

    it("is the fixture the test needs: GPS and orientation really are in it", async () => {
      const meta = await sharp(fixture("photo-gps.jpg")).metadata();
      expect(meta).to.include({ width: 1200, height: 800, orientation: 6 });
      expect(ifd0Tags(meta.exif!)).to.include(GPS_IFD_POINTER);
      expect(meta.xmp, "xmp").to.not.equal(undefined);
      expect(meta.icc, "icc").to.not.equal(undefined);
      const bytes = (await readFile(fixture("photo-gps.jpg"))).toString("latin1");
      for (const marker of LEAKS) expect(bytes, marker).to.include(marker);
    });

    it("reports the size as shown, portrait, and three JPEG variants within their bounds", async () => {
      expect(result).to.include({ width: 800, height: 1200 });
      expect(result.variants.map((v) => [v.name, v.width, v.height, v.contentType])).to.deep.equal([
        ["thumb", 213, 320, "image/jpeg"],
        ["small", 427, 640, "image/jpeg"],
        ["large", 720, 1080, "image/jpeg"],
      ]);
      for (const variant of result.variants) {
        const meta = await sharp(variant.path).metadata();
        const bytes = await readFile(variant.path);
        expect(meta, variant.name).to.include({
          format: "jpeg",
          width: variant.width,
          height: variant.height,
        });
        expect(bytes.length, variant.name).to.equal(variant.size);
        expect(variant.width / variant.height).to.be.closeTo(800 / 1200, 0.01);
        expect(path.dirname(variant.path)).to.equal(out);
      }
    });

    it("turns the pixels: the red block stored top-left is shown top-right", async () => {
      const thumb = result.variants[0]!;
      expect(isRed(await pixel(thumb.path, thumb.width - 5, 5)), "top right").to.equal(true);
      expect(isRed(await pixel(thumb.path, 5, 5)), "top left").to.equal(false);
    });

    it("converts the colours to sRGB before dropping the profile", async () => {
      // sRGB #b47864 is stored as about (171, 122, 103) in P3; read without its profile it would come out so.
      const thumb = result.variants[0]!;
      const [r, g, b] = await pixel(thumb.path, 10, 10);
      expect(r).to.be.closeTo(180, 4);
      expect(g).to.be.closeTo(120, 4);
      expect(b).to.be.closeTo(100, 4);
    });

    it("leaves no EXIF, GPS, XMP or ICC in any variant, parsed or as raw bytes", async () => {
      for (const variant of result.variants) {
        const meta = await sharp(variant.path).metadata();
        expect(meta.exif, `${variant.name} exif`).to.equal(undefined);
        expect(meta.xmp, `${variant.name} xmp`).to.equal(undefined);
        expect(meta.icc, `${variant.name} icc`).to.equal(undefined);
        expect(meta.orientation, `${variant.name} orientation`).to.equal(undefined);
        const bytes = (await readFile(variant.path)).toString("latin1");
        for (const marker of LEAKS) expect(bytes, `${variant.name} has ${marker}`).to.not.include(marker);
      }
    });

    it("computes a 4×3 blurhash that decodes", () => {
      expect(result.blurhash).to.have.length(6 + 2 * (4 * 3 - 1));
      expect(isBlurhashValid(result.blurhash)).to.deep.equal({ result: true });
      const pixels = decode(result.blurhash, 32, 48);
      expect(pixels.length).to.equal(32 * 48 * 4);
    });
  });

  it("serves a PNG with transparency as WebP with alpha, never enlarged", async () => {
    const result = await renderImage(fixture("image.png"), out);
    expect(result).to.include({ width: 400, height: 300 });
    expect(result.variants.map((v) => [v.name, v.width, v.height, v.contentType])).to.deep.equal([
      ["thumb", 320, 240, "image/webp"],
      ["small", 400, 300, "image/webp"],
      ["large", 400, 300, "image/webp"],
    ]);
    for (const variant of result.variants) {
      const meta = await sharp(variant.path).metadata();
      expect(meta, variant.name).to.include({ format: "webp", hasAlpha: true });
      expect((await pixel(variant.path, 0, 0))[3], "corner stays transparent").to.equal(0);
    }
    expect(isBlurhashValid(result.blurhash).result).to.equal(true);
  });

  it("serves an image whose alpha channel is opaque everywhere as JPEG", async () => {
    const input = path.join(out, "opaque-alpha.png");
    await sharp({
      create: { width: 500, height: 500, channels: 4, background: { r: 10, g: 120, b: 200, alpha: 1 } },
    })
      .png()
      .toFile(input);
    expect((await sharp(input).metadata()).hasAlpha).to.equal(true);
    const result = await renderImage(input, path.join(out, "variants"));
    expect(result.variants.map((v) => v.contentType)).to.deep.equal([
      "image/jpeg",
      "image/jpeg",
      "image/jpeg",
    ]);
    expect(result.variants.map((v) => v.width)).to.deep.equal([320, 500, 500]);
  });

  it("takes a GIF with transparency and serves WebP", async () => {
    const input = path.join(out, "dot.gif");
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><circle cx="32" cy="24" r="20"/></svg>';
    await sharp(Buffer.from(svg)).gif().toFile(input);
    const result = await renderImage(input, path.join(out, "variants"));
    expect(result).to.include({ width: 64, height: 48 });
    expect(result.variants[0]).to.include({ contentType: "image/webp", width: 64, height: 48 });
  });

  it("decodes AVIF, which sharp's libheif can (AV1), unlike HEIC (HEVC)", async () => {
    const input = path.join(out, "photo.avif");
    await sharp(fixture("photo-gps.jpg")).autoOrient().resize(300).avif({ effort: 0 }).toFile(input);
    const result = await renderImage(input, path.join(out, "variants"));
    expect(result).to.include({ width: 300, height: 450 });
    expect(result.variants[0]).to.include({ contentType: "image/jpeg", width: 213, height: 320 });
  });

  it("refuses a truncated JPEG as unreadable", async () => {
    const err = await renderImage(fixture("truncated.jpg"), out).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(MediaUnreadableError);
    expect((err as Error).message).to.match(/premature end/i);
  });

  it("refuses a text file named .jpg without handing it to the decoder", async () => {
    const err = await renderImage(fixture("not-an-image.jpg"), out).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UnsupportedMediaError);
  });

  it("refuses a video handed to the image pipeline", async () => {
    const err = await renderImage(fixture("clip.mp4"), out).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UnsupportedMediaError);
  });

  it("says plainly that HEIC cannot be decoded on this node", async () => {
    const input = path.join(out, "photo.heic");
    const box = Buffer.alloc(24);
    box.writeUInt32BE(24, 0);
    box.write("ftypheic\0\0\0\0mif1heic", 4, "latin1");
    await writeFile(input, Buffer.concat([box, Buffer.alloc(1000)]));
    const err = await renderImage(input, out).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UnsupportedMediaError);
    expect((err as Error).message).to.equal("HEIC decoding is not available on this node");
  });

  it("refuses an image with more pixels than allowed, before decoding it", async () => {
    const err = await renderImage(fixture("photo-gps.jpg"), out, { maxInputPixels: 500 * 500 }).catch(
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(MediaTooLargeError);
  });
});
