import { expect } from "chai";
import { deriveMediaUrlKey, MediaUrlSigner } from "../../../lib/media-library/signed-urls";

describe("MediaUrlSigner", () => {
  const key = deriveMediaUrlKey("a-token-secret-of-at-least-32-characters");
  const path = "/media/1/2/thumb.jpg";
  let nowMs = Date.UTC(2025, 0, 1, 12, 3, 7);
  const signer = () => new MediaUrlSigner(key, 3600, () => nowMs);

  it("derives a key of its own from the token secret", () => {
    expect(key).to.have.length(32);
    expect(key.equals(deriveMediaUrlKey("a-token-secret-of-at-least-32-characters"))).to.equal(true);
    expect(key.equals(deriveMediaUrlKey("another-token-secret-of-32-characters!"))).to.equal(false);
    expect(key.equals(Buffer.from("a-token-secret-of-at-least-32-characters").subarray(0, 32))).to.equal(
      false,
    );
  });

  it("rounds the expiry up to the next 10 minutes past the lifetime, so URLs repeat within a bucket", () => {
    const s = signer();
    const { exp, sig } = s.sign(path);
    expect(exp % 600).to.equal(0);
    expect(exp * 1000 - nowMs).to.be.within(3600_000, 4200_000);
    nowMs += 60_000;
    expect(s.sign(path)).to.deep.equal({ exp, sig });
    nowMs += 600_000;
    expect(s.sign(path).exp).to.equal(exp + 600);
  });

  it("uses shorter buckets for short lifetimes", () => {
    const s = new MediaUrlSigner(key, 6, () => nowMs);
    expect(s.bucketSeconds).to.equal(1);
    expect(s.sign(path).exp * 1000 - nowMs).to.be.within(6000, 8000);
  });

  it("accepts its own signature until the expiry, then calls it expired", () => {
    const s = signer();
    const { exp, sig } = s.sign(path);
    expect(s.check(path, String(exp), sig)).to.equal("valid");
    nowMs = exp * 1000 - 1;
    expect(s.check(path, String(exp), sig)).to.equal("valid");
    nowMs = exp * 1000;
    expect(s.check(path, String(exp), sig)).to.equal("expired");
  });

  it("refuses a tampered signature, another path, a moved expiry, another key, or missing parts", () => {
    const s = signer();
    const { exp, sig } = s.sign(path);
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    expect(s.check(path, String(exp), flipped)).to.equal("invalid");
    expect(s.check("/media/1/2/large.jpg", String(exp), sig)).to.equal("invalid");
    expect(s.check("/media/1/3/thumb.jpg", String(exp), sig)).to.equal("invalid");
    expect(s.check(path, String(exp + 600), sig)).to.equal("invalid");
    expect(s.check(path, `${exp}0`, sig)).to.equal("invalid");
    expect(s.check(path, "1e12", sig)).to.equal("invalid");
    expect(s.check(path, String(exp), undefined)).to.equal("invalid");
    expect(s.check(path, undefined, sig)).to.equal("invalid");
    expect(s.check(path, String(exp), sig.slice(1))).to.equal("invalid");
    const other = new MediaUrlSigner(
      deriveMediaUrlKey("another-token-secret-of-32-characters!"),
      3600,
      () => nowMs,
    );
    expect(other.check(path, String(exp), sig)).to.equal("invalid");
  });

  it("builds the URL with exp and sig in the query", () => {
    const s = signer();
    const url = s.signUrl("http://127.0.0.1:3000", path);
    const parsed = new URL(url);
    expect(parsed.pathname).to.equal(path);
    expect(
      s.check(parsed.pathname, parsed.searchParams.get("exp") ?? "", parsed.searchParams.get("sig") ?? ""),
    ).to.equal("valid");
  });
});
