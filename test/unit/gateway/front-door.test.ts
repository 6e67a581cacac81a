import { expect } from "chai";
import { loadConfig } from "../../../config";
import type { IncomingMessage } from "node:http";
import { mediaOriginsOf, timedByClient } from "../../../services/gateway/front-door";

const S3 = { BLOBS: "s3", S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s", S3_BUCKET: "media-bucket" };

describe("the media origins of the CSP", () => {
  it("are none beyond this origin for the embedded store, or its public URL", () => {
    expect(mediaOriginsOf(loadConfig({}))).to.deep.equal([]);
    expect(mediaOriginsOf(loadConfig({ PUBLIC_URL: "https://mosaic.example/base/" }))).to.deep.equal([
      "https://mosaic.example",
    ]);
  });

  it("name the S3 endpoint, path-style or virtual-hosted, and the CDN in front of it", () => {
    expect(mediaOriginsOf(loadConfig({ ...S3, S3_ENDPOINT: "http://minio:9000" }))).to.deep.equal([
      "http://minio:9000",
    ]);
    expect(
      mediaOriginsOf(
        loadConfig({ ...S3, S3_ENDPOINT: "https://s3.example:8443", S3_FORCE_PATH_STYLE: "off" }),
      ),
    ).to.deep.equal(["https://media-bucket.s3.example:8443"]);
    expect(
      mediaOriginsOf(
        loadConfig({
          ...S3,
          S3_REGION: "eu-west-1",
          S3_FORCE_PATH_STYLE: "off",
          S3_PUBLIC_URL: "https://cdn.example/m",
        }),
      ),
    ).to.deep.equal(["https://cdn.example", "https://media-bucket.s3.eu-west-1.amazonaws.com"]);
    expect(mediaOriginsOf(loadConfig({ ...S3, S3_REGION: "eu-west-1" }))).to.deep.equal([
      "https://s3.eu-west-1.amazonaws.com",
    ]);
  });
});

describe("the requests the adaptive limit does not learn from", () => {
  const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

  it("are those whose time is the client's sending: a large or streamed body", () => {
    expect(timedByClient(request({ "content-length": String(5 * 1024 * 1024) })), "an upload part").to.equal(
      true,
    );
    expect(timedByClient(request({ "transfer-encoding": "chunked" })), "a streamed body").to.equal(true);
    expect(timedByClient(request({ "content-length": "120" })), "a JSON body").to.equal(false);
    expect(timedByClient(request({})), "no body").to.equal(false);
  });
});
