import type { IncomingMessage, ServerResponse } from "node:http";
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../errors";

export interface JsonBodyRequest extends IncomingMessage {
  body?: unknown;
}

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

/**
 * Reads a JSON object body with a hard size bound, as a Connect middleware. We read it ourselves rather than
 * through body-parser because the contract is strict: a non-JSON content type is 415, an oversized body 413
 * without buffering it, malformed JSON or a non-object 400, and invalid UTF-8 is malformed, not replaced.
 */
export function jsonBody(limitBytes: number) {
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
    const type = req.headers["content-type"] ?? "";
    if (!JSON_TYPE.test(type)) {
      refuse(
        req,
        res,
        next,
        new UnsupportedMediaTypeError(
          "UNSUPPORTED_MEDIA_TYPE",
          "send JSON with Content-Type: application/json",
        ),
      );
      return;
    }
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limitBytes) {
      refuse(req, res, next, tooLarge(limitBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limitBytes) {
        failed = true;
        refuse(req, res, next, tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", (err) => {
      if (failed) return;
      failed = true;
      next(err);
    });
    req.on("end", () => {
      if (failed) return;
      try {
        req.body = parseObject(Buffer.concat(chunks, size));
        next();
      } catch (err: unknown) {
        next(err);
      }
    });
  };
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? "0") > 0;
}

function tooLarge(limitBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError("PAYLOAD_TOO_LARGE", `the body is larger than ${limitBytes} bytes`);
}

/** Answers now and closes the connection, so the rest of a large body is never read. */
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
  return value as Record<string, unknown>;
}
