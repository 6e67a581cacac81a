import { defineTable } from "../store/schema";

/** One row per account, partitioned by its id. */
export const users = defineTable({
  name: "users",
  columns: {
    user_id: "id",
    username: "text",
    email: "text",
    password_hash: "text",
    display_name: "text",
    bio: "text",
    avatar_media_id: "id",
    is_private: "boolean",
    created_at: "timestamp",
    /** `admin` or `moderator`, granted from the operator's console; absent for everyone else. */
    role: "text",
    /** Suspended by an operator or an admin until then (far in the future: for good); absent or past: in good standing. */
    suspended_until: "timestamp",
    suspension_reason: "text",
    /**
     * Set when enough distinct people reported the account within an hour (lib/moderation/reports.ts): hidden from
     * explore, trending and search until a moderator decides a case about it. The epoch: not held.
     */
    held_for_review_at: "timestamp",
    /**
     * Set when the owner deleted the account (`DELETE /api/me`): hidden from everyone at once, as a suspended one,
     * until `erase_after`; signing in before then undoes it. The epoch in both: not deactivated.
     */
    deactivated_at: "timestamp",
    erase_after: "timestamp",
    /** When the owner followed a link mailed to the address; absent: not verified. */
    email_verified_at: "timestamp",
  },
  partitionKey: ["user_id"],
});

/**
 * Unique claims on a lower-cased username and on a normalised email, taken with insert-if-absent (a lightweight
 * transaction on Cassandra). A claim is first written with a short TTL and made permanent once the account row
 * exists, so a sign-up that dies half-way frees its name instead of holding it forever.
 */
export const usernames = defineTable({
  name: "usernames",
  columns: { username: "text", user_id: "id" },
  partitionKey: ["username"],
  conditional: true,
});

export const emails = defineTable({
  name: "emails",
  columns: { email: "text", user_id: "id" },
  partitionKey: ["email"],
  conditional: true,
});

/**
 * Single-use tokens mailed to an account's address, by the SHA-256 of the token (the token itself is only in the
 * mail): a password reset or an email verification. Taken by a conditional delete, so a token works once.
 */
export const accountTokens = defineTable({
  name: "account_tokens",
  columns: { token_hash: "text", purpose: "text", user_id: "id", email: "text", expires_at: "timestamp" },
  partitionKey: ["token_hash"],
  conditional: true,
});

/** Mail asked for per address in the last hour (reset links, verification again), so one address gets few. */
export const recoveryRequests = defineTable({
  name: "recovery_requests",
  columns: { email: "text", request_id: "id", created_at: "timestamp" },
  partitionKey: ["email"],
  clustering: [{ column: "request_id", order: "desc" }],
  ttlSeconds: 3600,
});

/** A signed-in session; its token is valid only while the row lives, so deleting it revokes at once everywhere. */
export const sessions = defineTable({
  name: "sessions",
  columns: {
    user_id: "id",
    session_id: "id",
    created_at: "timestamp",
    expires_at: "timestamp",
    /** Where it signed in from, as the gateway saw it (TRUST_PROXY decides the address): for the owner's list. */
    user_agent: "text",
    address: "text",
    /** Written when a users node reads the row again (at most once per LAST_USED_EVERY_MS), not per request. */
    last_used_at: "timestamp",
  },
  partitionKey: ["user_id"],
  clustering: [{ column: "session_id", order: "desc" }],
});

export const userCounts = defineTable({
  name: "user_counts",
  columns: { user_id: "id", followers: "counter", following: "counter", posts: "counter" },
  partitionKey: ["user_id"],
  counter: true,
});

export const accountTables = [
  users,
  usernames,
  emails,
  sessions,
  userCounts,
  accountTokens,
  recoveryRequests,
] as const;
