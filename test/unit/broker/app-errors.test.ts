import { expect } from "chai";
import { Errors } from "moleculer";
import { toMoleculerError } from "../../../broker/middlewares/app-errors";
import {
  BlobStoreUnavailableError,
  InvalidBlobKeyError,
  MultipartUploadNotFoundError,
} from "../../../lib/blobs";
import { NotFoundError, PortError, ServiceUnavailableError } from "../../../lib/errors";
import { StoreUnavailableError } from "../../../lib/store/errors";

/** An adapter error the middleware has never heard of: its fields alone decide how it crosses the wire. */
class QueueDownError extends PortError {
  override readonly name = "QueueDownError";
  readonly retryable = true;
  override readonly answer = { status: 503, code: "QUEUE_UNAVAILABLE", message: "the queue is down" };
}

describe("toMoleculerError", () => {
  it("turns a port's error into a retryable or a client error by its fields, keeping status and code", () => {
    const queue = toMoleculerError(new QueueDownError("down"));
    expect(queue).to.be.instanceOf(Errors.MoleculerRetryableError);
    expect(queue).to.include({ code: 503, type: "QUEUE_UNAVAILABLE", retryable: true });

    const store = toMoleculerError(new StoreUnavailableError("cassandra: timeout"));
    expect(store).to.include({ code: 503, type: "STORE_UNAVAILABLE", retryable: true });
    // The backend's own words stay in the logs, not in what a client reads.
    expect((store as Error).message).to.not.include("cassandra");

    expect(toMoleculerError(new BlobStoreUnavailableError("s3: 500"))).to.include({
      type: "BLOBS_UNAVAILABLE",
    });
    const gone = toMoleculerError(new MultipartUploadNotFoundError("u1"));
    expect(gone).to.be.instanceOf(Errors.MoleculerClientError);
    expect(gone).to.include({ code: 404, type: "UPLOAD_NOT_FOUND", retryable: false });
  });

  it("leaves a port's error with no answer for the client as it is (a fault of ours: 500)", () => {
    const bug = new InvalidBlobKeyError("../x", "a path");
    expect(toMoleculerError(bug)).to.equal(bug);
  });

  it("maps domain errors by status: 5xx retryable, the rest client errors", () => {
    expect(toMoleculerError(new NotFoundError("POST_NOT_FOUND", "no such post"))).to.include({
      code: 404,
      type: "POST_NOT_FOUND",
      retryable: false,
    });
    expect(toMoleculerError(new ServiceUnavailableError("BUSY", "busy"))).to.include({ retryable: true });
  });
});
