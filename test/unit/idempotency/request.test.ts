import { expect } from "chai";
import {
  canonicalJson,
  InvalidIdempotencyKeyError,
  parseIdempotencyKey,
  requestFingerprint,
} from "../../../lib/idempotency";

describe("Idempotency-Key header", () => {
  it("takes a bare key (as Stripe's clients send it) and an sf-string (as the IETF draft writes it) alike", () => {
    expect(parseIdempotencyKey("8e03978e-40d5-43e8-bc93-6894a57f9324")).to.equal(
      "8e03978e-40d5-43e8-bc93-6894a57f9324",
    );
    expect(parseIdempotencyKey('"8e03978e-40d5"')).to.equal("8e03978e-40d5");
    expect(parseIdempotencyKey('"a \\"quoted\\" \\\\ key"')).to.equal('a "quoted" \\ key');
    expect(parseIdempotencyKey("  padded  ")).to.equal("padded");
    expect(parseIdempotencyKey("k".repeat(255))).to.have.length(255);
  });

  it("is optional", () => {
    expect(parseIdempotencyKey(undefined)).to.equal(undefined);
  });

  for (const [what, value] of [
    ["empty", ""],
    ["blank", "   "],
    ["an empty sf-string", '""'],
    ["over 255 characters", "k".repeat(256)],
    ["not ASCII", "clé"],
    ["a control character", "a\tb"],
    ["an unterminated sf-string", '"abc'],
    ["text after an sf-string", '"abc"def'],
    ["an unknown escape", '"a\\nb"'],
  ] as const) {
    it(`refuses a key that is ${what} (400)`, () => {
      expect(() => parseIdempotencyKey(value)).to.throw(InvalidIdempotencyKeyError);
    });
  }

  it("refuses repeated headers kept apart", () => {
    expect(() => parseIdempotencyKey(["a", "b"])).to.throw(InvalidIdempotencyKeyError);
  });
});

describe("request fingerprints", () => {
  const json = (value: unknown) => ({ kind: "json", value }) as const;

  it("counts a JSON body by value: key order does not matter, a value does", () => {
    const a = requestFingerprint("POST", "/api/posts", json({ caption: "hi", mediaIds: ["1", "2"] }));
    const b = requestFingerprint("post", "/api/posts", json({ mediaIds: ["1", "2"], caption: "hi" }));
    expect(a)
      .to.equal(b)
      .and.to.match(/^[0-9a-f]{64}$/);
    expect(
      requestFingerprint("POST", "/api/posts", json({ caption: "hi!", mediaIds: ["1", "2"] })),
    ).to.not.equal(a);
    expect(
      requestFingerprint("POST", "/api/posts", json({ caption: "hi", mediaIds: ["2", "1"] })),
    ).to.not.equal(a);
  });

  it("tells apart methods and paths", () => {
    const base = requestFingerprint("POST", "/api/posts/1/comments", json({ text: "x" }));
    expect(requestFingerprint("POST", "/api/posts/2/comments", json({ text: "x" }))).to.not.equal(base);
    expect(requestFingerprint("PUT", "/api/posts/1/comments", json({ text: "x" }))).to.not.equal(base);
  });

  it("counts an upload by media type and length, whatever multipart boundary the client picked", () => {
    const upload = (contentType: string, contentLength: string | undefined) =>
      requestFingerprint("POST", "/api/media", { kind: "stream", contentType, contentLength });
    const first = upload("multipart/form-data; boundary=----a1", "1234");
    expect(upload("Multipart/Form-Data; boundary=----b2", "1234")).to.equal(first);
    expect(upload("multipart/form-data; boundary=----a1", "1235")).to.not.equal(first);
    expect(upload("multipart/form-data; boundary=----a1", undefined)).to.not.equal(first);
  });

  it("writes JSON canonically", () => {
    expect(canonicalJson({ b: [1, { d: null, c: "x" }], a: true, skipped: undefined })).to.equal(
      '{"a":true,"b":[1,{"c":"x","d":null}]}',
    );
  });
});
