import { defineTable } from "../store/schema";

/** How long a recorded answer is replayed (Stripe keeps keys a day; so does the IETF draft's example). */
export const ANSWER_TTL_SECONDS = 24 * 3600;

/**
 * One row per (user, key): first the claim of the request that runs (`in_flight`, a short TTL renewed while it
 * runs, so a node that dies mid-request frees the key), then the answer it gave (`done`, kept a day).
 *
 * Each key is its own partition, so lightweight transactions on different keys never share a Paxos round. The
 * row is conditional: it is taken with insert-if-absent, and every later write names the claim it expects, so a
 * request whose claim expired and was taken over cannot overwrite or free the key its successor holds.
 */
export const idempotencyKeys = defineTable({
  name: "idempotency_keys",
  columns: {
    user_id: "id",
    idempotency_key: "text",
    state: "text",
    claim_id: "text",
    fingerprint: "text",
    status_code: "int",
    body: "text",
    location: "text",
  },
  partitionKey: ["user_id", "idempotency_key"],
  ttlSeconds: ANSWER_TTL_SECONDS,
  conditional: true,
});

export const idempotencyTables = [idempotencyKeys] as const;
