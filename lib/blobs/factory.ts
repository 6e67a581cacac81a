import type { Config } from "../../config";
import type { BlobStore } from "./blob-store";
import { FsBlobStore } from "./fs";
import { S3BlobStore } from "./s3";

/** The blob store named by configuration: files under the data dir, or an S3-compatible bucket. */
export function createBlobStore(
  config: Config["blobs"],
  fsRoot: string,
  requestTimeoutMs: number,
): BlobStore {
  switch (config.kind) {
    case "fs":
      return new FsBlobStore({ root: fsRoot });
    case "s3":
      return new S3BlobStore({
        ...(config.endpoint !== undefined && { endpoint: config.endpoint }),
        region: config.region,
        bucket: config.bucket,
        accessKeyId: config.accessKeyId,
        secretAccessKey: config.secretAccessKey,
        forcePathStyle: config.forcePathStyle,
        ...(config.publicBaseUrl !== undefined && { publicBaseUrl: config.publicBaseUrl }),
        createBucket: true,
        requestTimeoutMs,
      });
  }
}
