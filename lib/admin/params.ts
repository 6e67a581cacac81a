import { z } from "zod";
import { id } from "../validation/id";
import { boundedText } from "../validation/text";

/**
 * The shapes of the admin API (`/api/admin/...`) and the operator's console, which call the same actions: one
 * schema each, read by the edge's validation and by the handlers' types.
 */

/** An account as an operator names it: a username, an id (digits) or an email. */
export const userRef = z
  .string()
  .trim()
  .min(1, "must name a user: a username, an id or an email")
  .max(254, "must be at most 254 characters");

export const userRefParams = z.strictObject({ user: userRef });

export const suspendParams = z.strictObject({
  user: userRef,
  /** When the suspension ends, an ISO date-time in the future; absent: for good. */
  until: z.iso.datetime({ offset: true }).optional(),
  reason: boundedText(1, 500),
});

export const setRoleParams = z.strictObject({
  user: userRef,
  role: z.enum(["admin", "moderator", "none"]),
});

export const postRefParams = z.strictObject({ id });

export const failedTranscodesParams = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const mediaRefParams = z.strictObject({ mediaId: id });

export const nodeRefParams = z.strictObject({
  nodeId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9._:-]+$/, "must be a node id as the cluster lists it"),
});

export const auditParams = z.strictObject({
  /** A UTC day, YYYY-MM-DD; today when absent. */
  day: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a day as YYYY-MM-DD")
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

export const adminUserObject = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string(),
    displayName: z.string(),
    createdAt: z.string(),
    role: z.enum(["admin", "moderator"]).nullable(),
    suspension: z
      .object({
        /** Null: for good. */
        until: z.string().nullable(),
        reason: z.string(),
      })
      .nullable(),
    /** Sessions signed in now. */
    sessions: z.number().int(),
  })
  .meta({ id: "AdminUser" });

export const revokedObject = z.object({ revoked: z.number().int() });
export const userRecountObject = z.object({
  followers: z.number().int(),
  following: z.number().int(),
  posts: z.number().int(),
});
export const postRecountObject = z.object({ likes: z.number().int(), comments: z.number().int() });
export const rebuiltObject = z.object({ authors: z.number().int(), entries: z.number().int() });

export const backfilledObject = z.object({
  likes: z.number().int(),
  comments: z.number().int(),
  saves: z.number().int().describe("saves listed under their post, for an erasure to find"),
  indexed: z
    .number()
    .int()
    .describe(
      "rows of the other lists an erasure walks (requests sent, close friends, mutes, notifications, affinities)",
    ),
});

export const drainObject = z.object({ nodeId: z.string(), draining: z.literal(true) });

export type SuspendInput = z.output<typeof suspendParams>;
export type AdminUser = z.output<typeof adminUserObject>;

/** What admin commands ask of the services owning the data (internal actions). */
export const ofUserParams = z.strictObject({ userId: id });
export const ofPostParams = z.strictObject({ postId: id });
export const followCountsObject = z.object({ followers: z.number().int(), following: z.number().int() });
export const postCountObject = z.object({ posts: z.number().int() });
