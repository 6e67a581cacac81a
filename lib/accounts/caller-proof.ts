import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { LruMap } from "../concurrency/lru-map";

const LABEL = "mosaic caller proof v1";
const VERSION = "v1";
/**
 * How long a proof holds. It is bound to one request id, so this only bounds how long a proof copied from a log
 * could be replayed under that same id; it must outlast the longest chain of calls one request makes, and an
 * upload has no whole-request limit (only its idle timeout): 200 MB at 1 Mbit/s takes 27 minutes before the calls
 * that finish it are made.
 */
export const CALLER_PROOF_TTL_MS = 60 * 60_000;
/**
 * Proofs this node signed lately, with what they were signed for. On one node (the embedded default, or a users
 * node calling its own actions) the check of a proof it has just signed is then a lookup: the HMAC was a tenth of
 * `GET /api/me`'s CPU, twice per request. Only this process writes it, so nothing on the transporter can add to it.
 */
const ISSUED_KEPT = 4_096;

/**
 * The key of caller proofs, derived from the token key with a label of its own (as the media URL key is): every
 * node that reads a caller already holds JWT_SECRET, so nothing new is configured or shared.
 */
export function deriveCallerKey(tokenSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", tokenSecret, Buffer.alloc(0), LABEL, 32));
}

/** Who a call acts for, as the gateway learned it from a token (or an operator's act-as named). */
export interface ProvenCaller {
  userId: string;
  sessionId: string;
  /** `v1.<expiry ms>.<HMAC-SHA256 over user, session, request id and expiry, base64url>`. */
  proof?: string;
}

export type ProofCheck = "valid" | "missing" | "malformed" | "expired" | "forged";

/**
 * An operator at the console (`ctx.meta.operator`): admin actions take one in place of an admin's token. Only a
 * console holding the token key signs one, bound to one request like a caller's proof.
 */
export interface ProvenOperator {
  /** Who runs the console: `<OS user>@<node>`. */
  name: string;
  proof?: string;
}

/**
 * Signs and checks the proof that travels with `ctx.meta.user`. Only code that authenticated a token (the users
 * service, answering the gateway's `users.authenticate`) or an operator's audited act-as signs one; every node
 * checks it before an action reads the caller. The proof names the request it was made for: Moleculer copies
 * the request id and the meta to every call the request makes, so internal chains keep it, while the same meta
 * sent with another request (a REPL's `call`) is refused.
 */
export class CallerProofs {
  private readonly issued = new LruMap<string, string>(ISSUED_KEPT);
  /**
   * Callers this process authenticated for a request and handed on as objects, never as text: a local call
   * carrying one of them needs no HMAC, and one that leaves the node gets its proof then (`forTransit`). An
   * object that came over the transporter, or that any code built, is not one of them: identity cannot be sent.
   */
  private readonly vouched = new WeakMap<object, Vouch>();

  constructor(
    private readonly key: Buffer,
    private readonly now: () => number = Date.now,
    private readonly ttlMs: number = CALLER_PROOF_TTL_MS,
  ) {}

  sign(caller: { userId: string; sessionId: string }, requestId: string): string {
    return this.issue(callerFields(caller), requestId);
  }

  /**
   * The caller, proven for this request to code in this process only: signing is left to `forTransit`, for the
   * calls that leave the node. Signing every request's caller was about a sixth of what the embedded node spent on a
   * request before its read path, for calls that never left it (decision 0009).
   */
  vouch(caller: { userId: string; sessionId: string }, requestId: string): ProvenCaller {
    const proven = Object.freeze({ userId: caller.userId, sessionId: caller.sessionId });
    this.vouched.set(proven, { ...proven, requestId, expiresAt: this.now() + this.ttlMs });
    return proven;
  }

  /** The caller as a call to another node carries it: with its proof, signed now for one vouched here. */
  forTransit(caller: ProvenCaller, requestId: string | null | undefined): ProvenCaller {
    const vouch = this.vouched.get(caller);
    if (
      vouch === undefined ||
      typeof requestId !== "string" ||
      this.checkVouch(caller, vouch, requestId) !== "valid"
    ) {
      return caller;
    }
    vouch.signed ??= { userId: vouch.userId, sessionId: vouch.sessionId, proof: this.sign(vouch, requestId) };
    return vouch.signed;
  }

  check(caller: ProvenCaller, requestId: string | null | undefined): ProofCheck {
    const vouch = this.vouched.get(caller);
    if (vouch !== undefined)
      return typeof requestId === "string" ? this.checkVouch(caller, vouch, requestId) : "forged";
    const named = typeof caller.userId === "string" && typeof caller.sessionId === "string";
    return this.checkProof(caller.proof, named ? callerFields(caller) : undefined, requestId);
  }

  signOperator(name: string, requestId: string): string {
    return this.issue(operatorFields(name), requestId);
  }

  checkOperator(operator: ProvenOperator, requestId: string | null | undefined): ProofCheck {
    const named = typeof operator.name === "string";
    return this.checkProof(operator.proof, named ? operatorFields(operator.name) : undefined, requestId);
  }

  private checkProof(
    proof: string | undefined,
    /** Undefined: the meta names nobody a proof could be for. */
    fields: readonly string[] | undefined,
    requestId: string | null | undefined,
  ): ProofCheck {
    if (proof === undefined) return "missing";
    if (typeof proof !== "string") return "malformed";
    const parts = proof.split(".");
    const [version, expiry, mac] = parts;
    if (parts.length !== 3 || version !== VERSION || !/^\d{1,15}$/.test(expiry ?? "") || mac === undefined) {
      return "malformed";
    }
    if (typeof requestId !== "string" || fields === undefined) return "forged";
    const message = messageOf(fields, requestId, Number(expiry));
    if (this.issued.get(proof) !== message) {
      const expected = Buffer.from(this.mac(message));
      const given = Buffer.from(mac);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "forged";
    }
    // After the signature: an expired proof is reported as such only when it was a real one.
    return Number(expiry) <= this.now() ? "expired" : "valid";
  }

  private checkVouch(caller: ProvenCaller, vouch: Vouch, requestId: string): ProofCheck {
    // Frozen, but checked all the same: a vouch is for one caller and one request.
    if (
      vouch.requestId !== requestId ||
      vouch.userId !== caller.userId ||
      vouch.sessionId !== caller.sessionId
    ) {
      return "forged";
    }
    return vouch.expiresAt <= this.now() ? "expired" : "valid";
  }

  private issue(fields: readonly string[], requestId: string): string {
    const expiresAt = this.now() + this.ttlMs;
    const message = messageOf(fields, requestId, expiresAt);
    const proof = `${VERSION}.${expiresAt}.${this.mac(message)}`;
    this.issued.set(proof, message);
    return proof;
  }

  private mac(message: string): string {
    return createHmac("sha256", this.key).update(message).digest("base64url");
  }
}

/** What this process vouched a caller for, and the proof it signed when a call took the caller elsewhere. */
interface Vouch {
  userId: string;
  sessionId: string;
  requestId: string;
  expiresAt: number;
  signed?: ProvenCaller;
}

/** What a proof signs. Lengths first, so that no two different tuples read as one string. */
function messageOf(fields: readonly string[], requestId: string, expiresAt: number): string {
  return [...fields, requestId, String(expiresAt)].map((field) => `${field.length}:${field}`).join("|");
}

function callerFields(caller: { userId: string; sessionId: string }): string[] {
  return [caller.userId, caller.sessionId];
}

/** One field more than a caller's, led by a tag: no operator's proof can pass for a user's, nor the reverse. */
function operatorFields(name: string): string[] {
  return ["operator", name, "v1"];
}
