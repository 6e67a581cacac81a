import { ForbiddenError, UnauthorizedError } from "../errors";
import type { Role } from "../accounts";

/**
 * Who runs an admin command: an operator at the console (proven by the token key the console holds, see
 * broker/middlewares/caller-proof.ts) or a signed-in account holding the admin role.
 */
export type Authority =
  { kind: "console"; operator: string } | { kind: Role; userId: string; username: string };

/** What an admin call carries: the proven caller or the proven operator, as the broker checked them. */
export interface AdminMeta {
  user?: { userId: string } | null;
  operator?: { name: string } | null;
}

/** An account without the admin role reached an admin route. */
export class NotAdminError extends ForbiddenError {
  constructor() {
    super("NOT_ADMIN", "only an admin may do this");
  }
}

/** An account with neither the admin nor the moderator role reached a moderation route. */
export class NotModeratorError extends ForbiddenError {
  constructor() {
    super("NOT_MODERATOR", "only a moderator or an admin may do this");
  }
}

/** An admin token reached a command only the operator's console may run (granting roles). */
export class ConsoleOnlyError extends ForbiddenError {
  constructor(command: string) {
    super("CONSOLE_ONLY", `${command} is run from the operator's console only`);
  }
}

/**
 * The authority behind a call, or the refusal: 401 without a caller, 403 for an account without one of the
 * `allowed` roles (the admin's alone unless said; moderation lets moderators in too). The role is read from the
 * account's row at every call, so a role taken away holds at once.
 */
export async function authorityOf(
  meta: AdminMeta,
  account: (userId: string) => Promise<{ role: Role | undefined; username: string } | undefined>,
  allowed: readonly Role[] = ["admin"],
): Promise<Authority> {
  if (meta.operator) return { kind: "console", operator: meta.operator.name };
  if (!meta.user) throw new UnauthorizedError();
  const found = await account(meta.user.userId);
  if (found?.role === undefined || !allowed.includes(found.role)) {
    throw allowed.includes("moderator") ? new NotModeratorError() : new NotAdminError();
  }
  return { kind: found.role, userId: meta.user.userId, username: found.username };
}

/** How the audit log names who acted. */
export function describeAuthority(authority: Authority): string {
  return authority.kind === "console"
    ? `console ${authority.operator}`
    : `${authority.kind} ${authority.username} (${authority.userId})`;
}
