import { expect } from "chai";
import { dispositionFor, securityHeaders } from "../../../lib/http/security-headers";

describe("security headers", () => {
  it("are nosniff, no-referrer and a strict CSP", () => {
    const headers = securityHeaders();
    expect(headers["X-Content-Type-Options"]).to.equal("nosniff");
    expect(headers["Referrer-Policy"]).to.equal("no-referrer");
    expect(headers["Content-Security-Policy"]).to.equal(
      "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; " +
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    );
  });

  it("let images, videos and uploads reach the media origins, and nothing else", () => {
    const csp = securityHeaders({
      mediaOrigins: ["https://cdn.example", "https://cdn.example", "http://s3:9000"],
    })["Content-Security-Policy"]!;
    expect(csp).to.contain("img-src 'self' blob: data: https://cdn.example http://s3:9000;");
    expect(csp).to.contain("media-src 'self' blob: https://cdn.example http://s3:9000;");
    expect(csp).to.contain("connect-src 'self' https://cdn.example http://s3:9000;");
    expect(csp).to.contain("default-src 'self';");
  });

  it("show only pictures and videos in place", () => {
    expect(dispositionFor("image/jpeg")).to.equal("inline");
    expect(dispositionFor("image/webp")).to.equal("inline");
    expect(dispositionFor("video/mp4")).to.equal("inline");
    expect(dispositionFor("VIDEO/MP4; codecs=avc1")).to.equal("inline");
    expect(dispositionFor("image/svg+xml")).to.equal("attachment");
    expect(dispositionFor("text/html")).to.equal("attachment");
    expect(dispositionFor("application/pdf")).to.equal("attachment");
    expect(dispositionFor("application/octet-stream")).to.equal("attachment");
    expect(dispositionFor("")).to.equal("attachment");
  });
});
