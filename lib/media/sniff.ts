import { open } from "node:fs/promises";

/**
 * What a file is, from its first bytes and never from its name or the client's Content-Type: both are the
 * uploader's claim. Only formats listed here reach the decoders, which keeps sharp off SVG/TIFF/PDF and
 * ffmpeg off playlists and other demuxers that can be talked into reading other files.
 */
export interface SniffedMedia {
  kind: "image" | "video";
  format: MediaFormat;
  contentType: string;
}

export type MediaFormat =
  "jpeg" | "png" | "webp" | "gif" | "heic" | "heif" | "avif" | "mp4" | "mov" | "3gp" | "webm" | "mkv";

const TYPES = {
  jpeg: { kind: "image", contentType: "image/jpeg", extension: "jpg" },
  png: { kind: "image", contentType: "image/png", extension: "png" },
  webp: { kind: "image", contentType: "image/webp", extension: "webp" },
  gif: { kind: "image", contentType: "image/gif", extension: "gif" },
  heic: { kind: "image", contentType: "image/heic", extension: "heic" },
  heif: { kind: "image", contentType: "image/heif", extension: "heif" },
  avif: { kind: "image", contentType: "image/avif", extension: "avif" },
  mp4: { kind: "video", contentType: "video/mp4", extension: "mp4" },
  mov: { kind: "video", contentType: "video/quicktime", extension: "mov" },
  "3gp": { kind: "video", contentType: "video/3gpp", extension: "3gp" },
  webm: { kind: "video", contentType: "video/webm", extension: "webm" },
  mkv: { kind: "video", contentType: "video/x-matroska", extension: "mkv" },
} as const satisfies Record<MediaFormat, Omit<SniffedMedia, "format"> & { extension: string }>;

/** Every content type sniffMedia can return: what an upload endpoint may accept. */
export const ACCEPTED_CONTENT_TYPES: readonly string[] = Object.values(TYPES).map((t) => t.contentType);

/** The file name extension of a content type sniffMedia returns (parameters ignored); undefined for any other. */
export function extensionOf(contentType: string): string | undefined {
  const bare = contentType.split(";")[0]?.trim();
  return Object.values(TYPES).find((t) => t.contentType === bare)?.extension;
}

/** The number of leading bytes sniffMedia wants; fewer works for the short signatures. */
export const SNIFF_BYTES = 64;

export function sniffMedia(head: Buffer): SniffedMedia | undefined {
  const format = sniffFormat(head);
  return format && { kind: TYPES[format].kind, format, contentType: TYPES[format].contentType };
}

/** sniffMedia on a file's first bytes. */
export async function sniffFile(filePath: string): Promise<SniffedMedia | undefined> {
  const file = await open(filePath, "r");
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await file.read(head, 0, SNIFF_BYTES, 0);
    return sniffMedia(head.subarray(0, bytesRead));
  } finally {
    await file.close();
  }
}

function sniffFormat(head: Buffer): MediaFormat | undefined {
  if (startsWith(head, 0, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(head, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (ascii(head, 0, 6) === "GIF87a" || ascii(head, 0, 6) === "GIF89a") return "gif";
  if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 4) === "WEBP") return "webp";
  if (startsWith(head, 0, [0x1a, 0x45, 0xdf, 0xa3])) return matroska(head);
  if (ascii(head, 4, 4) === "ftyp") return isoBrands(head);
  if (head.length >= 8 && QUICKTIME_ATOMS.has(ascii(head, 4, 4)) && head.readUInt32BE(0) !== 1) {
    // Old QuickTime files have no ftyp and open straight on an atom; size 1 would mean a 64-bit size follows.
    return "mov";
  }
  return undefined;
}

const QUICKTIME_ATOMS = new Set(["moov", "mdat", "wide", "free", "skip", "pnot"]);

const HEIC_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs"]);
const AVIF_BRANDS = new Set(["avif", "avis"]);
const STILL_BRANDS = new Set(["mif1", "msf1"]);
const MP4_BRANDS = new Set([
  ...["isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso8", "iso9", "mp41", "mp42", "avc1", "dash"],
  ...["M4V ", "M4VH", "M4VP", "f4v ", "MSNV", "XAVC", "NDSC", "NDSH", "NDSM", "NDSP", "NDSS", "NDXC", "NDXH"],
]);
const THREE_GP_BRANDS = new Set([
  "3gp4",
  "3gp5",
  "3gp6",
  "3gp7",
  "3gs7",
  "3ge6",
  "3ge7",
  "3gg6",
  "3g2a",
  "3g2b",
]);
// Audio-only members of the MP4 family: they list mp4 brands as compatible, and are not video.
const AUDIO_BRANDS = new Set(["M4A ", "M4B ", "M4P ", "F4A ", "F4B "]);

function isoBrands(head: Buffer): MediaFormat | undefined {
  if (head.length < 12) return undefined;
  const major = ascii(head, 8, 4);
  const end = Math.min(head.readUInt32BE(0), head.length);
  const compatible: string[] = [];
  for (let at = 16; at + 4 <= end; at += 4) compatible.push(ascii(head, at, 4));

  if (AUDIO_BRANDS.has(major)) return undefined;
  if (major === "qt  ") return "mov";
  if (HEIC_BRANDS.has(major)) return "heic";
  if (AVIF_BRANDS.has(major)) return "avif";
  if (STILL_BRANDS.has(major)) {
    // A generic HEIF still: its compatible brands say which codec is inside.
    if (compatible.some((b) => AVIF_BRANDS.has(b))) return "avif";
    if (compatible.some((b) => HEIC_BRANDS.has(b))) return "heic";
    return "heif";
  }
  if (MP4_BRANDS.has(major)) return "mp4";
  if (THREE_GP_BRANDS.has(major)) return "3gp";
  // An unknown major brand (a camera vendor's) that declares itself compatible with plain MP4.
  if (compatible.some((b) => MP4_BRANDS.has(b))) return "mp4";
  return undefined;
}

const EBML_DOCTYPE = 0x4282;

/** Walks the EBML header's children to its DocType, which tells WebM from general Matroska. */
function matroska(head: Buffer): MediaFormat | undefined {
  const headerSize = vint(head, 4, false);
  if (!headerSize) return undefined;
  const end = Math.min(4 + headerSize.length + headerSize.value, head.length);
  let at = 4 + headerSize.length;
  while (at < end) {
    const id = vint(head, at, true);
    if (!id) return undefined;
    const size = vint(head, at + id.length, false);
    if (!size) return undefined;
    const data = at + id.length + size.length;
    if (id.value === EBML_DOCTYPE) {
      const docType = ascii(head, data, Math.min(size.value, 16)).replace(/\0+$/, "");
      if (docType === "webm") return "webm";
      if (docType === "matroska") return "mkv";
      return undefined;
    }
    at = data + size.value;
  }
  return undefined;
}

/** An EBML variable-length integer; element IDs keep their length marker bit, sizes drop it. */
function vint(buf: Buffer, at: number, keepMarker: boolean): { value: number; length: number } | undefined {
  const first = buf[at];
  if (first === undefined || first === 0) return undefined;
  const length = Math.clz32(first) - 23; // leading zeros within the byte, plus one
  if (length > 8 || at + length > buf.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + buf[at + i]!;
  return { value, length };
}

function startsWith(buf: Buffer, at: number, bytes: readonly number[]): boolean {
  return buf.length >= at + bytes.length && bytes.every((b, i) => buf[at + i] === b);
}

function ascii(buf: Buffer, at: number, length: number): string {
  return buf.length >= at + length ? buf.toString("latin1", at, at + length) : "";
}
