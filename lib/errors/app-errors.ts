/**
 * Errors that the domain raises and clients see. Each carries its HTTP status and a stable SNAKE_CASE code so
 * the gateway can answer with the error envelope without knowing where the error came from. They stay free of
 * Moleculer; the broker middleware in middlewares/app-errors.ts turns them into errors that cross the wire.
 */
export abstract class AppError extends Error {
  abstract readonly status: number;
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export class BadRequestError extends AppError {
  override readonly name = "BadRequestError";
  readonly status = 400;
}

export class UnauthorizedError extends AppError {
  override readonly name = "UnauthorizedError";
  readonly status = 401;
  constructor(message = "sign in first: the access token is missing, invalid, expired or revoked") {
    super("UNAUTHORIZED", message);
  }
}

export class ForbiddenError extends AppError {
  override readonly name = "ForbiddenError";
  readonly status = 403;
}

export class NotFoundError extends AppError {
  override readonly name = "NotFoundError";
  readonly status = 404;
}

export class ConflictError extends AppError {
  override readonly name = "ConflictError";
  readonly status = 409;
}

export class PayloadTooLargeError extends AppError {
  override readonly name = "PayloadTooLargeError";
  readonly status = 413;
}

export class UnsupportedMediaTypeError extends AppError {
  override readonly name = "UnsupportedMediaTypeError";
  readonly status = 415;
}

export class RateLimitedError extends AppError {
  override readonly name = "RateLimitedError";
  readonly status = 429;
  constructor(readonly retryAfterSeconds: number) {
    super("RATE_LIMITED", `too many requests; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}

export class ServiceUnavailableError extends AppError {
  override readonly name = "ServiceUnavailableError";
  readonly status = 503;
}
