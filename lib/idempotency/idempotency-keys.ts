import { randomUUID } from "node:crypto";
import type { WideRowStore } from "../store";
import type { Row } from "../store/schema";
import { IdempotencyKeyInFlightError, IdempotencyKeyReusedError } from "./errors";
import { ANSWER_TTL_SECONDS, idempotencyKeys } from "./tables";

/** What the first request answered, as replayed to the ones after it. */
export interface RecordedAnswer {
  status: number;
  /** The body as sent (JSON text), empty for none. */
  body: string;
  location?: string | undefined;
}

/** A request as the keys know it: who sent it, under which key, and what makes it the same request. */
export interface KeyedRequest {
  userId: string;
  key: string;
  fingerprint: string;
}

/** The right to run a keyed request, held until its answer is recorded or the key released. */
export interface Claim extends KeyedRequest {
  readonly claimId: string;
}

export type Outcome = { kind: "run"; claim: Claim } | { kind: "replay"; answer: RecordedAnswer };

export interface HeldClaim {
  /** Stops renewing the claim; the claim itself stays until settled or expired. */
  stop(): void;
}

export interface IdempotencyKeysDeps {
  store: WideRowStore;
  /** Time to live of a claim, in whole seconds. */
  claimSeconds?: number;
  /** How often a held claim is renewed; a third of its TTL unless said. */
  renewEveryMs?: number;
  /** A claim is renewed at most this long, so one that nothing settles cannot be kept forever. */
  maxHoldMs?: number;
}

const DEFAULT_CLAIM_SECONDS = 30;
const DEFAULT_MAX_HOLD_MS = 3600_000;

/**
 * Stripe's rule, as the IETF draft leaves it to the server: an answer that says "try again" (a 5xx, a 429, or a
 * 408 for a body that stalled or never arrived whole) is not kept, so a retry runs; any other answer, errors
 * included, is what the request did and is replayed.
 */
export function isRecordable(status: number): boolean {
  return status < 500 && status !== 429 && status !== 408;
}

/**
 * Idempotency keys on the wide-row store: the first request with a key claims it with insert-if-absent, runs,
 * and records its answer; a retry with the same key and the same request gets that answer again. Everything is
 * in the store, so every gateway node sees the same keys.
 */
export class IdempotencyKeys {
  private readonly store: WideRowStore;
  private readonly claimSeconds: number;
  private readonly renewEveryMs: number;
  private readonly maxHoldMs: number;

  constructor(deps: IdempotencyKeysDeps) {
    this.store = deps.store;
    this.claimSeconds = deps.claimSeconds ?? DEFAULT_CLAIM_SECONDS;
    this.renewEveryMs = deps.renewEveryMs ?? (this.claimSeconds * 1000) / 3;
    this.maxHoldMs = deps.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
  }

  /**
   * Claims the key for this request (`run`), or answers what the first request with it answered (`replay`).
   * Rejects with IdempotencyKeyInFlightError while another request holds the key, and with
   * IdempotencyKeyReusedError when the key was used for a different request.
   */
  async begin(request: KeyedRequest): Promise<Outcome> {
    const key = keyOf(request);
    // A plain read first: a replay then costs no lightweight transaction.
    const seen = await this.store.get(idempotencyKeys, key);
    if (seen !== undefined) return decide(request, seen);
    const claimId = randomUUID();
    const taken = await this.store.insertIfAbsent(
      idempotencyKeys,
      { ...key, state: "in_flight", claim_id: claimId, fingerprint: request.fingerprint },
      { ttlSeconds: this.claimSeconds },
    );
    if (taken.applied) return { kind: "run", claim: { ...request, claimId } };
    return decide(request, taken.existing);
  }

  /**
   * Records the answer of a claimed request for replay. False when the claim was lost meanwhile (it expired
   * and another request took the key): that request's answer is the one kept.
   */
  complete(claim: Claim, answer: RecordedAnswer): Promise<boolean> {
    return this.store.updateIf(
      idempotencyKeys,
      {
        ...keyOf(claim),
        // Every column again: each takes the answer's TTL, none keeps the claim's shorter one.
        state: "done",
        claim_id: claim.claimId,
        fingerprint: claim.fingerprint,
        status_code: answer.status,
        body: answer.body,
        ...(answer.location !== undefined && { location: answer.location }),
      },
      { claim_id: claim.claimId, state: "in_flight" },
      { ttlSeconds: ANSWER_TTL_SECONDS },
    );
  }

  /** Frees the key, so that a retry runs the request again. False when the claim was no longer held. */
  release(claim: Claim): Promise<boolean> {
    return this.store.deleteIf(idempotencyKeys, keyOf(claim), {
      claim_id: claim.claimId,
      state: "in_flight",
    });
  }

  /** Records the answer, or frees the key when the answer asks to retry (see isRecordable). */
  settle(claim: Claim, answer: RecordedAnswer): Promise<boolean> {
    return isRecordable(answer.status) ? this.complete(claim, answer) : this.release(claim);
  }

  /** Extends a claim by its TTL. False when it was no longer held. */
  renew(claim: Claim): Promise<boolean> {
    return this.store.updateIf(
      idempotencyKeys,
      { ...keyOf(claim), state: "in_flight", claim_id: claim.claimId, fingerprint: claim.fingerprint },
      { claim_id: claim.claimId, state: "in_flight" },
      { ttlSeconds: this.claimSeconds },
    );
  }

  /**
   * Keeps a claim alive while its request runs (an upload may take longer than a claim lives), so that the TTL
   * only decides how soon a node that died mid-request frees the key.
   */
  hold(claim: Claim, onProblem: (message: string, err?: unknown) => void = () => undefined): HeldClaim {
    const started = Date.now();
    let busy = false;
    const timer = setInterval(() => {
      if (Date.now() - started > this.maxHoldMs) {
        clearInterval(timer);
        onProblem("an idempotency claim was held too long; it is left to expire");
        return;
      }
      if (busy) return;
      busy = true;
      this.renew(claim)
        .then((held) => {
          if (held) return;
          clearInterval(timer);
          onProblem("an idempotency claim was lost while its request ran");
        })
        .catch((err: unknown) => onProblem("an idempotency claim could not be renewed", err))
        .finally(() => {
          busy = false;
        });
    }, this.renewEveryMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
}

function keyOf(request: KeyedRequest) {
  return { user_id: request.userId, idempotency_key: request.key };
}

function decide(request: KeyedRequest, row: Row<typeof idempotencyKeys>): Outcome {
  if (row.fingerprint !== request.fingerprint) throw new IdempotencyKeyReusedError();
  if (row.state !== "done" || row.status_code === undefined) throw new IdempotencyKeyInFlightError();
  return {
    kind: "replay",
    answer: { status: row.status_code, body: row.body ?? "", location: row.location },
  };
}
