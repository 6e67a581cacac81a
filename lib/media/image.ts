import { mkdir } from "node:fs/promises";
import path from "node:path";
import { encode as encodeBlurhash } from "blurhash";
import sharp from "sharp";
import { MediaTooLargeError, MediaUnreadableError, UnsupportedMediaError } from "./errors";
import { sniffFile } from "./sniff";

/** One rendered file; the service uploads it and records the rest. */
export interface MediaVariant {
  name: string;
  path: string;
  width: number;
  height: number;
  contentType: string;
  size: number;
}

export interface ImageResult {
  /** The original's size as it is shown, after EXIF orientation. */
  width: number;
  height: number;
  blurhash: string;
  variants: MediaVariant[];
}

export interface ImageOptions {
  /** Images with more pixels are refused before decoding (the header is trusted for the count). */
  maxInputPixels?: number;
  quality?: number;
}

/** Longest side of each variant; never enlarged, so a small original yields same-sized variants. */
export const IMAGE_VARIANTS = [
  { name: "thumb", maxSide: 320 },
  { name: "small", maxSide: 640 },
  { name: "large", maxSide: 1080 },
] as const;

const LARGEST_SIDE = Math.max(...IMAGE_VARIANTS.map((v) => v.maxSide));
const DEFAULT_MAX_PIXELS = 100_000_000;
const DEFAULT_QUALITY = 82;
const BLURHASH_SIDE = 32;
const BLURHASH_COMPONENTS = { x: 4, y: 3 };

/**
 * Decodes once (oriented, sRGB, RGBA, no larger than the biggest variant), then encodes every variant and the
 * blurhash from those pixels: a 12 MP original is decoded a single time, with JPEG shrink-on-load.
 *
 * Nothing of the original's metadata reaches the outputs: they are encoded from raw pixels, which carry no
 * EXIF, XMP, IPTC or ICC. Colours are converted to sRGB first, so dropping the profile does not shift them.
 * Opaque images become JPEG; images with any transparent pixel become WebP, which keeps the alpha.
 */
export async function renderImage(
  inputPath: string,
  outDir: string,
  options: ImageOptions = {},
): Promise<ImageResult> {
  const sniffed = await sniffFile(inputPath);
  if (!sniffed || sniffed.kind !== "image")
    throw new UnsupportedMediaError("the file is not an image we accept");
  if (sniffed.format === "heic" || sniffed.format === "heif") {
    // sharp's prebuilt libvips has libheif with AV1 only (AVIF); HEVC-coded HEIC needs a decoder we do not ship.
    throw new UnsupportedMediaError("HEIC decoding is not available on this node");
  }

  const decoded = await decode(inputPath, options.maxInputPixels ?? DEFAULT_MAX_PIXELS);
  const transparent = decoded.hasAlpha && hasTransparentPixel(decoded.pixels);
  const quality = options.quality ?? DEFAULT_QUALITY;
  const raw = { raw: { width: decoded.width, height: decoded.height, channels: 4 as const } };

  await mkdir(outDir, { recursive: true });
  const variants = Promise.all(
    IMAGE_VARIANTS.map(async ({ name, maxSide }): Promise<MediaVariant> => {
      const resized = sharp(decoded.pixels, raw).resize(maxSide, maxSide, {
        fit: "inside",
        withoutEnlargement: true,
      });
      const file = path.join(outDir, `${name}.${transparent ? "webp" : "jpg"}`);
      const info = await (
        transparent ? resized.webp({ quality }) : resized.removeAlpha().jpeg({ quality, mozjpeg: true })
      ).toFile(file);
      const contentType = transparent ? "image/webp" : "image/jpeg";
      return { name, path: file, width: info.width, height: info.height, contentType, size: info.size };
    }),
  );
  const [rendered, blurhash] = await Promise.all([variants, computeBlurhash(decoded)]);
  return { width: decoded.originalWidth, height: decoded.originalHeight, blurhash, variants: rendered };
}

interface Decoded {
  pixels: Buffer;
  width: number;
  height: number;
  hasAlpha: boolean;
  originalWidth: number;
  originalHeight: number;
}

async function decode(inputPath: string, maxInputPixels: number): Promise<Decoded> {
  // failOn "error": truncation and decode errors reject the file, but libjpeg's benign warnings (extraneous
  // bytes before a marker, common from camera firmware) do not.
  const input = { limitInputPixels: maxInputPixels, failOn: "error" } as const;
  try {
    const meta = await sharp(inputPath, input).metadata();
    const { data, info } = await sharp(inputPath, input)
      .autoOrient()
      .resize(LARGEST_SIDE, LARGEST_SIDE, { fit: "inside", withoutEnlargement: true })
      .toColourspace("srgb")
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`decoded to ${info.channels} channels, not RGBA`);
    return {
      pixels: data,
      width: info.width,
      height: info.height,
      hasAlpha: meta.hasAlpha,
      originalWidth: meta.autoOrient.width,
      originalHeight: meta.autoOrient.height,
    };
  } catch (err) {
    if (!(err instanceof Error) || err.message.startsWith("Input file is missing")) throw err;
    if (err.message.includes("pixel limit"))
      throw new MediaTooLargeError(`the image has more than ${maxInputPixels} pixels`, { cause: err });
    throw new MediaUnreadableError(`the image cannot be decoded: ${err.message.trim()}`, { cause: err });
  }
}

/** A PNG can carry an alpha channel that is opaque everywhere; such an image is better served as JPEG. */
function hasTransparentPixel(rgba: Buffer): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return true;
  return false;
}

async function computeBlurhash(decoded: Decoded): Promise<string> {
  // Transparent areas are flattened onto white, which is what a client shows behind them, rather than the
  // arbitrary colour stored in fully transparent pixels.
  const { data, info } = await sharp(decoded.pixels, {
    raw: { width: decoded.width, height: decoded.height, channels: 4 },
  })
    .flatten({ background: "#ffffff" })
    .resize(BLURHASH_SIDE, BLURHASH_SIDE, { fit: "inside", withoutEnlargement: true })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixels = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  return encodeBlurhash(pixels, info.width, info.height, BLURHASH_COMPONENTS.x, BLURHASH_COMPONENTS.y);
}
