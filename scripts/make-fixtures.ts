import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";

/**
 * Regenerates the media fixtures in test/fixtures/ so they are reproducible and stay small:
 *
 *   tsx scripts/make-fixtures.ts
 *
 * photo-gps.jpg: 1200×800 stored pixels, EXIF Orientation 6 (shown portrait), GPS, camera make, XMP and a
 *   Display P3 ICC profile: everything the image pipeline must strip. A red block sits in the stored top-left
 *   corner, which orientation 6 moves to the top-right, so a test can see the rotation was applied; a block of
 *   sRGB #b47864 in the stored bottom-left (shown top-left) is stored as P3 values, so a test can see the
 *   colours were converted back to sRGB rather than the profile merely dropped.
 * image.png: 400×300 with a transparent background.
 * clip.mp4: 3 s of 320×240 testsrc and a 440 Hz tone, H.264 + AAC, with a location tag and the moov atom
 *   at the end (ffmpeg's default), so the tests can tell our faststart from the input's.
 * truncated.jpg: the first half of photo-gps.jpg.
 * not-an-image.jpg: plain text.
 */
const OUT = path.resolve(__dirname, "../test/fixtures");

// eslint-disable-next-line @typescript-eslint/no-require-imports
const FFMPEG = (require("@ffmpeg-installer/ffmpeg") as { path: string }).path;

function photoSvg(width: number, height: number): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs>
      <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
        <stop offset="0" stop-color="#6fa8dc"/><stop offset="1" stop-color="#f6e7c1"/>
      </linearGradient>
    </defs>
    <rect width="${width}" height="${height}" fill="url(#sky)"/>
    <circle cx="${width * 0.7}" cy="${height * 0.55}" r="${height * 0.25}" fill="#3d7a3a"/>
    <rect x="0" y="0" width="${width * 0.2}" height="${height * 0.2}" fill="#ff0000"/>
    <rect x="0" y="${height * 0.8}" width="${width * 0.2}" height="${height * 0.2}" fill="#b47864"/>
  </svg>`);
}

async function photo(): Promise<Buffer> {
  // withMetadata comes first: it resets the output profile to sRGB, so withIccProfile must follow it.
  const jpeg = await sharp(photoSvg(1200, 800))
    .withMetadata({ orientation: 6 })
    .withIccProfile("p3")
    .withExif({
      IFD0: { Make: "Mosaic", Model: "Fixture Camera" },
      IFD3: {
        GPSLatitudeRef: "N",
        GPSLatitude: "48/1 51/1 2940/100",
        GPSLongitudeRef: "E",
        GPSLongitude: "2/1 17/1 4000/100",
      },
    })
    .withXmp(
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
        '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.49N"/>' +
        "</rdf:RDF></x:xmpmeta>",
    )
    .jpeg({ quality: 85 })
    .toBuffer();
  const meta = await sharp(jpeg).metadata();
  // 0x8825 is the GPS IFD pointer tag in IFD0; sharp wrote little-endian TIFF, so it reads 25 88.
  const gpsPointer = Buffer.from([0x25, 0x88, 0x04, 0x00]);
  if (meta.orientation !== 6 || !meta.exif?.includes(gpsPointer) || !meta.xmp || !meta.icc)
    throw new Error("photo-gps.jpg lost its orientation, GPS, XMP or ICC profile");
  return jpeg;
}

async function transparentPng(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300">
    <circle cx="200" cy="150" r="120" fill="#e69138"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

function clip(target: string): void {
  // The binary the library uses, so the fixture is something it decodes: H.264 High, yuv420p, AAC LC.
  execFileSync(FFMPEG, [
    ...["-v", "error", "-y", "-nostdin"],
    ...["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=3"],
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=3"],
    ...["-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-pix_fmt", "yuv420p", "-profile:v", "high"],
    ...["-c:a", "aac", "-b:a", "64k", "-shortest"],
    ...["-metadata", "location=+48.8584+002.2945/", "-metadata", "title=Mosaic fixture"],
    target,
  ]);
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const jpeg = await photo();
  await writeFile(path.join(OUT, "photo-gps.jpg"), jpeg);
  await writeFile(path.join(OUT, "truncated.jpg"), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  await writeFile(path.join(OUT, "image.png"), await transparentPng());
  await writeFile(path.join(OUT, "not-an-image.jpg"), "This is a text file with a .jpg name, not a photo.\n");
  clip(path.join(OUT, "clip.mp4"));
  for (const name of ["photo-gps.jpg", "truncated.jpg", "image.png", "not-an-image.jpg", "clip.mp4"]) {
    const size = (await readFile(path.join(OUT, name))).length;
    console.log(`${name.padEnd(18)} ${size} bytes`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
