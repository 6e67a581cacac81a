import { randomBytes } from "node:crypto";

/** Where the infra tests find the S3-compatible server: scripts/infra/s3proxy.sh starts S3Proxy there. */
export const S3_ENDPOINT = process.env.S3_ENDPOINT ?? "http://127.0.0.1:8081";

/** Env for a test node keeping media in a fresh bucket of the test S3 server. */
export function s3NodeEnv(): Record<string, string> {
  return {
    BLOBS: "s3",
    S3_ENDPOINT,
    S3_BUCKET: `mosaic-media-${randomBytes(4).toString("hex")}`,
    S3_ACCESS_KEY_ID: process.env.S3_ACCESS_KEY_ID ?? "mosaic",
    S3_SECRET_ACCESS_KEY: process.env.S3_SECRET_ACCESS_KEY ?? "mosaic-secret-key",
    S3_FORCE_PATH_STYLE: "on",
  };
}
