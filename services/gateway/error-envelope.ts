import { Errors } from "moleculer";
import ApiGateway from "moleculer-web";
import { AppError } from "../../lib/errors";
import { toMoleculerError } from "../../broker/middlewares/app-errors";

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown };
}

export interface HttpError {
  status: number;
  envelope: ErrorEnvelope;
  retryAfterSeconds?: number;
  /** A fault of ours: logged with its stack, answered without it. */
  internal: boolean;
}

const SNAKE = /^[A-Z][A-Z0-9_]*$/;

/** Codes for client errors that arrive without one (moleculer-web's own, for instance). */
const GENERIC_CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  408: "REQUEST_TIMEOUT",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
};

/**
 * Every failure the gateway can meet, as the status and envelope of api.md. Moleculer's own errors are named
 * here so that none of them leaks as a 500: a timeout, an open circuit or a missing service is a dependency
 * that is down (503), a full queue is load (503), a validation error is the client's (400).
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof AppError) return fromStatus(err.status, err.code, err.message, err.details);
  const e = toMoleculerError(err);

  if (e instanceof Errors.ValidationError) {
    return fromStatus(400, "VALIDATION_FAILED", "the request is not valid", e.data);
  }
  if (e instanceof ApiGateway.Errors.NotFoundError) return fromStatus(404, "NOT_FOUND", "no such route");
  if (e instanceof ApiGateway.Errors.RateLimitExceeded) {
    return fromStatus(429, "RATE_LIMITED", "too many requests");
  }
  // An unknown route is moleculer-web's NotFoundError; a service not found is one no node runs right now.
  if (
    e instanceof Errors.ServiceNotFoundError ||
    e instanceof Errors.RequestTimeoutError ||
    e instanceof Errors.ServiceNotAvailableError ||
    e instanceof Errors.QueueIsFullError ||
    e instanceof Errors.RequestRejectedError ||
    e instanceof Errors.BrokerDisconnectedError ||
    e instanceof ApiGateway.Errors.ServiceUnavailableError
  ) {
    return {
      ...fromStatus(503, "SERVICE_UNAVAILABLE", "a service is unavailable; try again shortly"),
      retryAfterSeconds: 5,
    };
  }
  if (e instanceof Errors.MoleculerError) {
    // Errors from other nodes arrive rebuilt from name, code, type and data: trust their 4xx and 503.
    const type = typeof e.type === "string" && SNAKE.test(e.type) ? e.type : undefined;
    if (e.code === 422) return fromStatus(400, type ?? "VALIDATION_FAILED", e.message, e.data);
    if (e.code >= 400 && e.code < 500)
      return fromStatus(e.code, type ?? GENERIC_CODES[e.code] ?? "BAD_REQUEST", e.message, e.data);
    if (e.code === 503 && type) {
      return { ...fromStatus(503, type, e.message), retryAfterSeconds: 5 };
    }
  }
  return { ...fromStatus(500, "INTERNAL_ERROR", "something went wrong on our side"), internal: true };
}

function fromStatus(status: number, code: string, message: string, details?: unknown): HttpError {
  const envelope: ErrorEnvelope = { error: { code, message } };
  if (details !== undefined && details !== null) envelope.error.details = details;
  const retryAfterSeconds = status === 429 ? retryAfterOf(details) : undefined;
  return { status, envelope, internal: false, ...(retryAfterSeconds !== undefined && { retryAfterSeconds }) };
}

function retryAfterOf(details: unknown): number {
  const value =
    typeof details === "object" && details !== null && "retryAfterSeconds" in details
      ? details.retryAfterSeconds
      : undefined;
  return typeof value === "number" && value > 0 ? Math.ceil(value) : 60;
}
