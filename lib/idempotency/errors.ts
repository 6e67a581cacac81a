import { AppError } from "../errors";

export class InvalidIdempotencyKeyError extends AppError {
  override readonly name = "InvalidIdempotencyKeyError";
  readonly status = 400;
  constructor() {
    super("INVALID_IDEMPOTENCY_KEY", "Idempotency-Key must be 1 to 255 printable ASCII characters");
  }
}

/** The IETF draft's 409: running it now would run the request twice, so the client waits for the first. */
export class IdempotencyKeyInFlightError extends AppError {
  override readonly name = "IdempotencyKeyInFlightError";
  readonly status = 409;
  constructor() {
    super(
      "IDEMPOTENCY_KEY_IN_FLIGHT",
      "a request with this Idempotency-Key is still being processed; retry it in a moment",
    );
  }
}

/** The IETF draft's 422: one key names one request, and this is another one. */
export class IdempotencyKeyReusedError extends AppError {
  override readonly name = "IdempotencyKeyReusedError";
  readonly status = 422;
  constructor() {
    super("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was already used for a different request");
  }
}
