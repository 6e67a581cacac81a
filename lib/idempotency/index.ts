export {
  IdempotencyKeys,
  isRecordable,
  type Claim,
  type HeldClaim,
  type IdempotencyKeysDeps,
  type KeyedRequest,
  type Outcome,
  type RecordedAnswer,
} from "./idempotency-keys";
export { IdempotencyKeyInFlightError, IdempotencyKeyReusedError, InvalidIdempotencyKeyError } from "./errors";
export { canonicalJson, parseIdempotencyKey, requestFingerprint, type FingerprintBody } from "./request";
export { ANSWER_TTL_SECONDS, idempotencyKeys, idempotencyTables } from "./tables";
