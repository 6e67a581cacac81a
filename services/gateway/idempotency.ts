import type { IncomingMessage, ServerResponse } from "node:http";
import type { IncomingRequest } from "moleculer-web";
import { AppError } from "../../lib/errors";
import {
  parseIdempotencyKey,
  requestFingerprint,
  type Claim,
  type FingerprintBody,
  type HeldClaim,
  type IdempotencyKeys,
  type RecordedAnswer,
} from "../../lib/idempotency";
import { toHttpError, type HttpError } from "./error-envelope";
import { routeOf } from "./routes";

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
export const IDEMPOTENT_REPLAYED_HEADER = "Idempotent-Replayed";

/**
 * Stops a request whose answer is a replay before its action runs; the gateway's onError writes the recorded
 * answer instead, so this error itself never reaches a client.
 */
export class IdempotentReplayError extends AppError {
  override readonly name = "IdempotentReplayError";
  readonly status = 409;
  constructor() {
    super("IDEMPOTENT_REPLAY", "the first answer to this Idempotency-Key is replayed");
  }
}

interface Held {
  claim: Claim;
  renewal: HeldClaim;
}

/**
 * `Idempotency-Key` on the routes flagged `idempotent`, hooked into the gateway at three points: `begin` after
 * authentication (the key belongs to the caller), `answered` in onAfterCall (the answer is recorded before it is
 * sent, so a retry that follows the answer replays it), and `answerError` in onError.
 *
 * What a request decided is kept by request object, not carried on the error: errors thrown in the gateway's
 * action are rebuilt as Moleculer errors on their way out, which keeps their status and code but not their
 * class (and turns a 422 into a validation 400).
 */
export class GatewayIdempotency {
  private readonly held = new WeakMap<IncomingMessage, Held>();
  private readonly replays = new WeakMap<IncomingMessage, RecordedAnswer>();
  private readonly refusals = new WeakMap<IncomingMessage, AppError>();
  /** Errors being recorded before they are sent. */
  private readonly settling = new WeakMap<IncomingMessage, Promise<void>>();
  private warnedUnshared = false;

  constructor(
    /** Absent when this gateway has no shared store: the header is then ignored. */
    private readonly keys: IdempotencyKeys | undefined,
    private readonly warn: (message: string, err?: unknown) => void,
  ) {}

  /** Claims the caller's key for this request, or stops it with a replay or a refusal (400, 409, 422). */
  async begin(req: IncomingRequest, userId: string): Promise<void> {
    const route = routeOf(req.$alias?.action);
    if (route?.idempotent !== true) return;
    if (this.keys === undefined) {
      if (req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()] !== undefined && !this.warnedUnshared) {
        this.warnedUnshared = true;
        this.warn(
          "Idempotency-Key is ignored: this gateway has no store shared with the others (STORE=level)",
        );
      }
      return;
    }
    try {
      const key = parseIdempotencyKey(req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()]);
      if (key === undefined) return;
      const body: FingerprintBody =
        route.body === "multipart" || route.body === "stream"
          ? {
              kind: "stream",
              contentType: req.headers["content-type"],
              contentLength: req.headers["content-length"],
            }
          : { kind: "json", value: "body" in req ? req.body : undefined };
      const fingerprint = requestFingerprint(req.method ?? "POST", req.originalUrl, body);
      const outcome = await this.keys.begin({ userId, key, fingerprint });
      if (outcome.kind === "replay") {
        this.replays.set(req, outcome.answer);
        throw new IdempotentReplayError();
      }
      this.held.set(req, {
        claim: outcome.claim,
        renewal: this.keys.hold(outcome.claim, this.warn),
      });
    } catch (err: unknown) {
      if (err instanceof AppError && !(err instanceof IdempotentReplayError)) this.refusals.set(req, err);
      throw err;
    }
  }

  /** Records a success (or what the action answered) before it is sent. */
  async answered(req: IncomingMessage, status: number, location: string | undefined, data: unknown) {
    // Should onAfterCall follow onError for one request (moleculer-web's own multipart handler does that when
    // the action fails), the error is the answer: it is recorded and sent first, and this records nothing.
    const settling = this.settling.get(req);
    if (settling !== undefined) return settling;
    const held = this.take(req);
    if (held === undefined || this.keys === undefined) return;
    const body = data === undefined || data === null ? "" : JSON.stringify(data);
    await this.keys.complete(held.claim, { status, body, location }).then(
      (recorded) => {
        if (!recorded) this.warn("an answer was not recorded for its Idempotency-Key: its claim was lost");
      },
      (err: unknown) => this.warn("an answer could not be recorded for its Idempotency-Key", err),
    );
  }

  /**
   * Answers an error: a replay with the recorded answer, a refusal of the key with its own status, and the
   * error of a request holding a key once it is recorded (or the key freed, for a 5xx, a 429 or a 408).
   */
  answerError(req: IncomingMessage, res: ServerResponse, http: HttpError, send: (http: HttpError) => void) {
    const replay = this.replays.get(req);
    if (replay !== undefined) {
      writeReplay(res, replay);
      return;
    }
    const refusal = this.refusals.get(req);
    if (refusal !== undefined) {
      send(toHttpError(refusal));
      return;
    }
    const held = this.take(req);
    if (held === undefined || this.keys === undefined) {
      send(http);
      return;
    }
    const answer = { status: http.status, body: JSON.stringify(http.envelope) };
    const settled = this.keys
      .settle(held.claim, answer)
      .then(
        () => undefined,
        (err: unknown) => this.warn("an error answer could not be settled for its Idempotency-Key", err),
      )
      .then(() => send(http));
    this.settling.set(req, settled);
  }

  private take(req: IncomingMessage): Held | undefined {
    const held = this.held.get(req);
    if (held === undefined) return undefined;
    this.held.delete(req);
    held.renewal.stop();
    return held;
  }
}

function writeReplay(res: ServerResponse, answer: RecordedAnswer): void {
  // The front door answers a body cut for idling at once (408); an answer sent cannot be replaced.
  if (res.headersSent) return;
  const bytes = Buffer.from(answer.body);
  res.statusCode = answer.status;
  if (bytes.length > 0) res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", bytes.length);
  res.setHeader("Cache-Control", "no-store");
  res.setHeader(IDEMPOTENT_REPLAYED_HEADER, "true");
  if (answer.location !== undefined) res.setHeader("Location", answer.location);
  res.end(bytes);
}
