import type { IncomingMessage, ServerResponse } from "node:http";
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../errors";
import { hasBody } from "./body-idle";

export interface JsonBodyRequest extends IncomingMessage {
  body?: unknown;
}

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

export interface JsonBodyLimits {
  /** The largest body read as JSON. */
  limitBytes: number;
  /**
   * How much of a body over the limit is read and thrown away before the 413 goes out. A client that sends its
   * whole body before reading the answer gets a reset instead of the 413 if the connection closes while it is
   * still sending; past this bound we stop paying for its bytes and close anyway.
   */
  drainLimitBytes: number;
}

/**
 * Reads a JSON object body with a hard size bound, as a Connect middleware. We read it ourselves rather than
 * through body-parser because the contract is strict: a non-JSON content type is 415, an oversized body 413
 * without buffering it, malformed JSON or a non-object 400, and invalid UTF-8 is malformed, not replaced.
 */
export function jsonBody({ limitBytes, drainLimitBytes }: JsonBodyLimits) {
  return function readJsonBody(
    req: JsonBodyRequest,
    res: ServerResponse,
    next: (err?: unknown) => void,
  ): void {
    if (!METHODS_WITH_BODY.has(req.method ?? "") || !hasBody(req)) {
      req.body = {};
      next();
      return;
    }
    // A body we refuse is still read (and dropped) up to the drain bound before we answer and close.
    const declared = Number(req.headers["content-length"] ?? "0");
    let failure: Error | undefined = !JSON_TYPE.test(req.headers["content-type"] ?? "")
      ? new UnsupportedMediaTypeError(
          "UNSUPPORTED_MEDIA_TYPE",
          "send JSON with Content-Type: application/json",
        )
      : declared > limitBytes
        ? tooLarge(limitBytes)
        : undefined;
    if (failure !== undefined && declared > drainLimitBytes) {
      refuse(req, res, next, failure);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    req.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (failure === undefined && size > limitBytes) failure = tooLarge(limitBytes);
      if (failure === undefined) {
        chunks.push(chunk);
      } else if (size > drainLimitBytes) {
        settled = true;
        refuse(req, res, next, failure);
      }
    });
    req.on("error", (err) => {
      if (settled) return;
      settled = true;
      next(err);
    });
    req.on("end", () => {
      if (settled) return;
      settled = true;
      if (failure !== undefined) {
        refuse(req, res, next, failure);
        return;
      }
      try {
        req.body = parseObject(Buffer.concat(chunks, size));
        next();
      } catch (err: unknown) {
        next(err);
      }
    });
  };
}

function tooLarge(limitBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError("PAYLOAD_TOO_LARGE", `the body is larger than ${limitBytes} bytes`);
}

/** Answers now and closes the connection after the answer, so what is left of the body is never read. */
function refuse(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void, err: Error): void {
  res.setHeader("Connection", "close");
  req.resume();
  next(err);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function parseObject(bytes: Buffer): Record<string, unknown> {
  if (bytes.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes)) as unknown;
  } catch {
    throw new BadRequestError("INVALID_JSON", "the body is not valid JSON (UTF-8)");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BadRequestError("INVALID_JSON", "the body must be a JSON object");
  }
  // JSON.parse keeps a `__proto__` key as an own field; moleculer-web's Object.assign of the body into the params
  // would then set their prototype, and fields read through it slip past the strict (unknown field) check.
  if (Object.prototype.hasOwnProperty.call(value, "__proto__")) {
    throw new BadRequestError("VALIDATION_FAILED", "the request is not valid", [
      { field: "__proto__", message: 'Unrecognized key: "__proto__"' },
    ]);
  }
  return value as Record<string, unknown>;
}
