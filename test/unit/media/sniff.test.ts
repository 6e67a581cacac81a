import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import { ACCEPTED_CONTENT_TYPES, SNIFF_BYTES, sniffFile, sniffMedia } from "../../../lib/media/sniff";

const FIXTURES = path.resolve(__dirname, "../../fixtures");

/** An ISO BMFF file's opening: an ftyp box with the given major and compatible brands. */
function ftyp(major: string, ...compatible: string[]): Buffer {
  const size = 16 + 4 * compatible.length;
  const box = Buffer.alloc(size);
  box.writeUInt32BE(size, 0);
  box.write("ftyp", 4, "latin1");
  box.write(major, 8, "latin1");
  compatible.forEach((brand, i) => box.write(brand, 16 + 4 * i, "latin1"));
  return Buffer.concat([box, Buffer.alloc(SNIFF_BYTES - size)]);
}

/** An EBML header as WebM and Matroska writers put it: EBMLVersion, then DocType. */
function ebml(docType: string): Buffer {
  const version = Buffer.from([0x42, 0x86, 0x81, 0x01]);
  const type = Buffer.concat([Buffer.from([0x42, 0x82, 0x80 | docType.length]), Buffer.from(docType)]);
  const body = Buffer.concat([version, type]);
  return Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x80 | body.length]), body, Buffer.alloc(16)]);
}

describe("sniffMedia", () => {
  it("recognises the committed fixtures by their bytes", async () => {
    expect(await sniffFile(path.join(FIXTURES, "photo-gps.jpg"))).to.deep.equal({
      kind: "image",
      format: "jpeg",
      contentType: "image/jpeg",
    });
    expect(await sniffFile(path.join(FIXTURES, "image.png"))).to.include({ format: "png", kind: "image" });
    expect(await sniffFile(path.join(FIXTURES, "clip.mp4"))).to.deep.equal({
      kind: "video",
      format: "mp4",
      contentType: "video/mp4",
    });
    // Cut in half, the JPEG still opens like one: the decoder is what refuses it.
    expect(await sniffFile(path.join(FIXTURES, "truncated.jpg"))).to.include({ format: "jpeg" });
  });

  it("does not take a text file named .jpg for an image", async () => {
    expect(await sniffFile(path.join(FIXTURES, "not-an-image.jpg"))).to.equal(undefined);
    expect(sniffMedia(await readFile(path.join(FIXTURES, "not-an-image.jpg")))).to.equal(undefined);
  });

  it("knows the image signatures", () => {
    const cases: [Buffer, string][] = [
      [Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0, 0]), "jpeg"],
      [Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), "png"],
      [Buffer.from("GIF87a\x01\x00\x01\x00", "latin1"), "gif"],
      [Buffer.from("GIF89a\x01\x00\x01\x00", "latin1"), "gif"],
      [Buffer.from("RIFF\x24\x00\x00\x00WEBPVP8 ", "latin1"), "webp"],
    ];
    for (const [head, format] of cases)
      expect(sniffMedia(head), format).to.include({ format, kind: "image" });
    // A RIFF that is not WebP (a WAV) is not ours.
    expect(sniffMedia(Buffer.from("RIFF\x24\x00\x00\x00WAVEfmt ", "latin1"))).to.equal(undefined);
  });

  it("tells HEIC, generic HEIF and AVIF apart by their ftyp brands", () => {
    for (const major of ["heic", "heix", "hevc", "heim", "heis"])
      expect(sniffMedia(ftyp(major, "mif1", major)), major).to.deep.equal({
        kind: "image",
        format: "heic",
        contentType: "image/heic",
      });
    expect(sniffMedia(ftyp("mif1", "mif1", "heic"))).to.include({ format: "heic" });
    expect(sniffMedia(ftyp("mif1", "mif1", "miaf"))).to.include({
      format: "heif",
      contentType: "image/heif",
    });
    expect(sniffMedia(ftyp("avif", "avif", "mif1", "miaf"))).to.include({ format: "avif", kind: "image" });
    expect(sniffMedia(ftyp("mif1", "avif", "miaf"))).to.include({ format: "avif" });
  });

  it("tells MP4, QuickTime and 3GPP apart, and leaves audio-only MP4 out", () => {
    for (const major of ["isom", "iso2", "mp41", "mp42", "avc1", "dash", "M4V "])
      expect(sniffMedia(ftyp(major, "isom")), major).to.deep.equal({
        kind: "video",
        format: "mp4",
        contentType: "video/mp4",
      });
    expect(sniffMedia(ftyp("qt  ", "qt  "))).to.include({ format: "mov", contentType: "video/quicktime" });
    expect(sniffMedia(ftyp("3gp4", "isom", "3gp4"))).to.include({ format: "3gp", kind: "video" });
    // A vendor's own major brand still counts when it declares plain MP4 compatibility.
    expect(sniffMedia(ftyp("XYZ1", "mp42", "isom"))).to.include({ format: "mp4" });
    expect(sniffMedia(ftyp("M4A ", "M4A ", "mp42", "isom"))).to.equal(undefined);
    expect(sniffMedia(ftyp("crx ", "crx "))).to.equal(undefined);
  });

  it("takes old QuickTime files that open on an atom other than ftyp", () => {
    for (const atom of ["moov", "mdat", "wide", "free"]) {
      const head = Buffer.alloc(SNIFF_BYTES);
      head.writeUInt32BE(8, 0);
      head.write(atom, 4, "latin1");
      expect(sniffMedia(head), atom).to.include({ format: "mov", kind: "video" });
    }
  });

  it("reads the EBML DocType: WebM, Matroska, and nothing else", () => {
    expect(sniffMedia(ebml("webm"))).to.deep.equal({
      kind: "video",
      format: "webm",
      contentType: "video/webm",
    });
    expect(sniffMedia(ebml("matroska"))).to.deep.equal({
      kind: "video",
      format: "mkv",
      contentType: "video/x-matroska",
    });
    expect(sniffMedia(ebml("other"))).to.equal(undefined);
  });

  it("returns undefined for empty, short and unknown input rather than throwing", () => {
    for (const head of [Buffer.alloc(0), Buffer.from([0xff]), Buffer.from("ftyp"), Buffer.alloc(SNIFF_BYTES)])
      expect(sniffMedia(head)).to.equal(undefined);
    expect(sniffMedia(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x00]))).to.equal(undefined);
    expect(sniffMedia(Buffer.from("%PDF-1.7\n", "latin1"))).to.equal(undefined);
    expect(sniffMedia(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).to.equal(undefined);
  });

  it("lists every content type it can return, once", () => {
    expect(ACCEPTED_CONTENT_TYPES).to.include.members([
      "image/jpeg",
      "image/heic",
      "video/mp4",
      "video/webm",
    ]);
    expect(new Set(ACCEPTED_CONTENT_TYPES).size).to.equal(ACCEPTED_CONTENT_TYPES.length);
  });
});
