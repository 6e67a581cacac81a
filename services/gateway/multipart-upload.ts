import busboy from "busboy";
import type { Context } from "moleculer";
import type { GatewayResponse, IncomingRequest } from "moleculer-web";
import { AppError, BadRequestError, PayloadTooLargeError } from "../../lib/errors";

/** Ends the file stream of a form whose request ended before the form did; nobody is left to answer. */
export class RequestAbandonedError extends Error {
  override readonly name = "RequestAbandonedError";
  constructor() {
    super("the request ended before its body did");
  }
}

export interface MultipartUploadOptions {
  /** The largest file taken; past it the upload fails with 413 rather than being cut short. */
  maxFileBytes: number;
  /** The route's onAfterCall: turns the action's answer into the route's (status, headers, records). */
  afterCall(ctx: Context, req: IncomingRequest, res: GatewayResponse, data: unknown): Promise<unknown>;
  /**
   * Fields that came after the file (the action had started without them): applied to what it made, answering
   * the new answer. Absent, or answering undefined: such fields are refused with 400.
   */
  lateFields?(ctx: Context, action: string, data: unknown, fields: Record<string, string>): Promise<unknown>;
}

/** What moleculer-web gives an alias handler as `this`. */
interface GatewayMethods {
  sendResponse(req: IncomingRequest, res: GatewayResponse, data: unknown): void;
}

type AliasHandler = (
  this: GatewayMethods,
  req: IncomingRequest,
  res: GatewayResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * A multipart upload alias (`[multipartUpload(…), "media.upload"]`): the form's one file is streamed to the
 * route's action as it arrives. It replaces moleculer-web's `multipart:` handler, which answered a form that ends
 * early with a 500 and, when the request stopped (a stalled client cut by the idle timeout, or one that went
 * away), never ended the file stream, so the action, its temporary file and the request stayed forever.
 *
 * Here the answer waits for both the action and the form, as before, and every way a form can go wrong is a
 * 4xx: a malformed or truncated form 400, a file over the limit 413. When the request ends before the form, the
 * file stream is destroyed, so whatever reads it fails and removes what it wrote.
 */
export function multipartUpload(options: MultipartUploadOptions): AliasHandler {
  return function handleMultipart(req, res, next) {
    const ctx = req.$ctx as Context;
    const action = req.$alias.action;
    let form: busboy.Busboy;
    try {
      form = busboy({
        headers: req.headers,
        // busboy signals its limit on reaching it: one byte more tells a file of exactly the limit from a
        // larger one.
        limits: {
          files: 1,
          fields: 8,
          parts: 16,
          // Alt text is up to 1,500 characters of up to 4 bytes each.
          fieldSize: 8 * 1024,
          headerPairs: 32,
          fileSize: options.maxFileBytes + 1,
        },
      });
    } catch {
      next(malformed());
      return;
    }
    const fields: Record<string, string> = {};
    const late: Record<string, string> = {};
    let call: Promise<unknown> | undefined;
    let formError: Error | undefined;
    let formSettled = () => {};

    form.on("field", (name, value, info) => {
      if (info.valueTruncated) {
        formError ??= new BadRequestError("VALIDATION_FAILED", `the field ${name} is too long`, {
          fields: { [name]: "is too long" },
        });
      }
      if (call === undefined) fields[name] = value;
      else late[name] = value;
    });
    form.on("file", (name, file, info) => {
      // The action listens once the call reaches it; a form failing before that must not throw meanwhile.
      file.on("error", () => undefined);
      file.on("limit", () => {
        formError ??= tooLarge(options.maxFileBytes);
        file.destroy(formError);
        // busboy waits on a destroyed file stream for good, and with it the rest of the body: read no more of
        // it, answer 413 now, and close the connection after the answer rather than take the rest.
        req.unpipe(form);
        res.setHeader("Connection", "close");
        formSettled();
      });
      const params: Record<string, unknown> = {
        ...(req.$params as Record<string, unknown> | undefined),
        ...fields,
        $fieldname: name,
        ...(info.filename !== undefined && { $filename: info.filename }),
        $encoding: info.encoding,
        $mimetype: info.mimeType,
      };
      call = ctx.call(action, params, { stream: file }).catch((err: unknown) => {
        // An action that failed before reading the file (bad params, no service) must not stall the form.
        file.resume();
        throw err;
      });
      // Settled below, once the form is done too.
      call.catch(() => undefined);
    });
    const formDone = new Promise<void>((resolve) => {
      formSettled = resolve;
      form.once("close", () => resolve());
      form.once("error", (err: Error) => {
        formError = err instanceof AppError || err instanceof RequestAbandonedError ? err : malformed();
        resolve();
      });
    });
    req.once("close", () => {
      if (!req.complete) form.destroy(new RequestAbandonedError());
    });
    req.pipe(form);

    void formDone.then(async () => {
      if (call === undefined) {
        next(formError ?? new BadRequestError("FILE_MISSING", "send the file in the field named `file`"));
        return;
      }
      let data: unknown;
      try {
        data = await call;
      } catch (err: unknown) {
        // The file stream failed because the form did: that is the answer, not what the reader made of it.
        next(formError ?? err);
        return;
      }
      if (formError !== undefined) {
        next(formError);
        return;
      }
      if (Object.keys(late).length > 0) {
        try {
          const applied = await options.lateFields?.(ctx, action, data, late);
          if (applied === undefined) {
            throw new BadRequestError("VALIDATION_FAILED", "these fields go before the file", {
              fields: Object.fromEntries(
                Object.keys(late).map((name) => [name, "must come before the file"]),
              ),
            });
          }
          data = applied;
        } catch (err: unknown) {
          next(err);
          return;
        }
      }
      if (res.headersSent) return;
      try {
        this.sendResponse(req, res, await options.afterCall(ctx, req, res, data));
      } catch (err: unknown) {
        next(err);
      }
    });
  };
}

function malformed(): BadRequestError {
  return new BadRequestError(
    "MALFORMED_MULTIPART",
    "the multipart/form-data body is malformed or ends early",
  );
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError("PAYLOAD_TOO_LARGE", `files are at most ${maxBytes / (1024 * 1024)} MB`);
}
