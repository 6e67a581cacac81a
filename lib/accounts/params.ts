import { id } from "../validation/id";
import { z } from "zod";
import { boundedText } from "../validation/text";

/**
 * The shapes of account inputs. Service actions use these as their params, so the edge validates with them
 * and handlers are typed from them.
 */

/** Instagram-style: letters, digits, dots and underscores; compared and stored in lower case. */
export const username = z
  .string()
  .min(3, "must be 3 to 30 characters")
  .max(30, "must be 3 to 30 characters")
  .regex(/^[A-Za-z0-9._]+$/, "may hold only letters, digits, . and _")
  .transform((s) => s.toLowerCase());

export const email = z
  .string()
  .trim()
  .max(254, "must be at most 254 characters")
  .pipe(z.email("must be an email address"))
  .transform((s) => s.toLowerCase());

/** Bounded above so that nobody makes the server hash megabytes. */
export const password = z
  .string()
  .min(8, "must be at least 8 characters")
  .max(1024, "must be at most 1024 characters");

export const displayName = boundedText(0, 64);
export const bio = boundedText(0, 150);
export { id };

/** Names a route takes under /api/users/ (`GET /api/users/suggested`): no account may have them. */
const RESERVED_USERNAMES: ReadonlySet<string> = new Set(["suggested"]);

export const signupParams = z.strictObject({
  username: username.refine((name) => !RESERVED_USERNAMES.has(name), "is reserved"),
  email,
  password,
  displayName: displayName.optional(),
});

export const loginParams = z.strictObject({
  login: z.string().trim().min(1, "must not be empty").max(254, "must be at most 254 characters"),
  password: z.string().min(1, "must not be empty").max(1024, "must be at most 1024 characters"),
});

/** A new password for a signed-in user, who proves they know the current one. */
export const changePasswordParams = z.strictObject({
  currentPassword: z.string().min(1, "must not be empty").max(1024, "must be at most 1024 characters"),
  newPassword: password,
});

/** `DELETE /api/me`: the password, so a token left on a shared device cannot delete the account. */
export const deleteMeParams = z.strictObject({
  password: z.string().min(1, "must not be empty").max(1024, "must be at most 1024 characters"),
});

/** One of the caller's sessions, by the id `GET /api/me/sessions` lists. */
export const sessionIdParams = z.strictObject({ id });

export const updateMeParams = z.strictObject({
  displayName: displayName.optional(),
  bio: bio.optional(),
  isPrivate: z.boolean().optional(),
  avatarMediaId: id.optional(),
});

export const byUsernameParams = z.strictObject({ username });

/** A token from a mailed link: 32 random bytes in base64url. */
const mailedToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "is not a token we mailed");

export const passwordResetParams = z.strictObject({ email });
export const passwordResetConfirmParams = z.strictObject({ token: mailedToken, password });
export const tokenParams = z.strictObject({ token: mailedToken });

export type SignupInput = z.output<typeof signupParams>;
export type LoginInput = z.output<typeof loginParams>;
export type UpdateMeInput = z.output<typeof updateMeParams>;

/** A gateway's check of a bearer token. */
export const authenticateParams = z.strictObject({ token: z.string().min(1).max(4096) });

/** A session of a user, as a logout names it to every users node. */
export const sessionParams = z.strictObject({
  userId: z.string().regex(/^\d{1,20}$/),
  sessionId: z.string().min(1).max(64),
});
