import { Errors, type ActionHandler, type Context, type Middleware, type Service } from "moleculer";
import {
  BlobStoreAccessDeniedError,
  BlobStoreUnavailableError,
  MultipartUploadNotFoundError,
} from "../../lib/blobs";
import { AppError } from "../../lib/errors";
import { StoreClosedError, StoreUnavailableError } from "../../lib/store/errors";

/**
 * Turns domain errors into Moleculer errors where they are thrown, so that status, code and details survive
 * the trip over the transporter (Moleculer rebuilds errors from name, code, type and data on the caller's node).
 */
export const AppErrorsMiddleware: Middleware = {
  name: "AppErrors",
  localAction(next: ActionHandler) {
    return async function mapAppErrors(this: Service, ctx: Context): Promise<unknown> {
      try {
        return await next.call(this, ctx);
      } catch (err: unknown) {
        throw toMoleculerError(err);
      }
    };
  },
};

export function toMoleculerError(err: unknown): unknown {
  if (err instanceof AppError) {
    return err.status >= 500
      ? new Errors.MoleculerRetryableError(err.message, err.status, err.code, err.details)
      : new Errors.MoleculerClientError(err.message, err.status, err.code, err.details);
  }
  if (err instanceof BlobStoreUnavailableError || err instanceof BlobStoreAccessDeniedError) {
    return new Errors.MoleculerRetryableError(
      "the media store is unavailable; try again shortly",
      503,
      "BLOBS_UNAVAILABLE",
    );
  }
  if (err instanceof MultipartUploadNotFoundError) {
    // The session names a multipart upload the blob store no longer has (a completion that failed its checks
    // consumed it): the client has to start a new upload. Not a fault of ours to answer with a 500.
    return new Errors.MoleculerClientError(
      "this upload can no longer take parts or complete: start a new one",
      404,
      "UPLOAD_NOT_FOUND",
    );
  }
  if (err instanceof StoreUnavailableError || err instanceof StoreClosedError) {
    return new Errors.MoleculerRetryableError(
      "the store is unavailable; try again shortly",
      503,
      "STORE_UNAVAILABLE",
    );
  }
  return err;
}
