import type { Row } from "../store/schema";
import type { WideRowStore } from "../store/store";
import { emails, sessions, users, usernames } from "./tables";

/** The roles an account may hold beside an ordinary user's. */
export const ROLES = ["admin", "moderator"] as const;
export type Role = (typeof ROLES)[number];

/** A suspension "for good" ends here: far enough that nobody waits it out, inside what a timestamp holds. */
export const FOREVER_UNTIL = new Date("9999-12-31T00:00:00.000Z");

/** Until when an account is suspended, or undefined when it is in good standing at `now`. */
export function suspendedUntil(
  row: Pick<Row<typeof users>, "suspended_until">,
  now: number,
): Date | undefined {
  const until = row.suspended_until;
  return until !== undefined && until.getTime() > now ? until : undefined;
}

/** Since when the owner has deleted the account (hidden, waiting to be erased), or undefined. */
export function deactivatedSince(row: Pick<Row<typeof users>, "deactivated_at">): Date | undefined {
  const at = row.deactivated_at;
  return at !== undefined && at.getTime() > 0 ? at : undefined;
}

/** Shown to nobody but operators: suspended, or deleted by its owner. */
export function hiddenFromEveryone(
  row: Pick<Row<typeof users>, "suspended_until" | "deactivated_at">,
  now: number,
): boolean {
  return suspendedUntil(row, now) !== undefined || deactivatedSince(row) !== undefined;
}

/** Held for review after many reports: left out of discovery (search, trending, explore), shown elsewhere. */
export function heldForReview(row: Pick<Row<typeof users>, "held_for_review_at">): boolean {
  return (row.held_for_review_at?.getTime() ?? 0) > 0;
}

export function roleOf(row: Pick<Row<typeof users>, "role"> | undefined): Role | undefined {
  const role = row?.role;
  return (ROLES as readonly string[]).includes(role ?? "") ? (role as Role) : undefined;
}

/**
 * An account's standing as operators and admins change it: roles, suspensions and sessions. It writes the
 * account's own row; what a suspension hides follows from that row, read wherever the account is shown
 * (Accounts.view), so hiding costs no extra read and no list to keep in step.
 */
export class AccountStanding {
  constructor(
    private readonly store: WideRowStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** The account named by an id (digits), an email (has `@`) or a username, whatever its standing. */
  async find(given: string): Promise<Row<typeof users> | undefined> {
    const text = given.trim();
    let userId: string | undefined;
    if (/^\d{1,20}$/.test(text)) userId = text;
    else if (text.includes("@"))
      userId = (await this.store.get(emails, { email: text.toLowerCase() }))?.user_id;
    else userId = (await this.store.get(usernames, { username: text.toLowerCase() }))?.user_id;
    return userId === undefined ? undefined : this.store.get(users, { user_id: userId });
  }

  async role(userId: string): Promise<Role | undefined> {
    return roleOf(await this.store.get(users, { user_id: userId }));
  }

  async setRole(userId: string, role: Role | undefined): Promise<void> {
    // The store writes values, never absences: no role is the empty one.
    await this.store.put(users, { user_id: userId, role: role ?? "" });
  }

  /** `until` undefined: for good. */
  async suspend(userId: string, until: Date | undefined, reason: string): Promise<void> {
    await this.store.put(users, {
      user_id: userId,
      suspended_until: until ?? FOREVER_UNTIL,
      suspension_reason: reason,
    });
  }

  /**
   * Hidden from discovery until a moderator reviews it (see `held_for_review_at`). Answers whether the account
   * was not held before, so that the cluster is told of a change once.
   */
  async hold(userId: string): Promise<boolean> {
    const wasHeld = await this.isHeld(userId);
    await this.store.put(users, { user_id: userId, held_for_review_at: new Date(this.now()) });
    return !wasHeld;
  }

  /** Back in discovery; answers whether the account was held. */
  async release(userId: string): Promise<boolean> {
    const wasHeld = await this.isHeld(userId);
    await this.store.put(users, { user_id: userId, held_for_review_at: new Date(0) });
    return wasHeld;
  }

  private async isHeld(userId: string): Promise<boolean> {
    const row = await this.store.get(users, { user_id: userId });
    return row !== undefined && heldForReview(row);
  }

  async unsuspend(userId: string): Promise<void> {
    // A suspension that ended at the epoch: the store writes values, never absences.
    await this.store.put(users, { user_id: userId, suspended_until: new Date(0), suspension_reason: "" });
  }

  /** The account's live sessions, newest first. */
  async sessionsOf(userId: string): Promise<{ sessionId: string; createdAt?: Date; expiresAt?: Date }[]> {
    const found: { sessionId: string; createdAt?: Date; expiresAt?: Date }[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.store.slice(sessions, { user_id: userId }, { limit: 500, pageToken });
      for (const row of page.rows) {
        found.push({
          sessionId: row.session_id,
          ...(row.created_at && { createdAt: row.created_at }),
          ...(row.expires_at && { expiresAt: row.expires_at }),
        });
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    return found;
  }

  /**
   * Deletes every session row of the account: their tokens are refused from the next read of the row. The caller
   * tells every users node to forget them (they may take a session seen lately as live without reading it).
   */
  async revokeSessions(userId: string): Promise<string[]> {
    const live = await this.sessionsOf(userId);
    await Promise.all(
      live.map((s) => this.store.delete(sessions, { user_id: userId, session_id: s.sessionId })),
    );
    return live.map((s) => s.sessionId);
  }

  isSuspended(row: Pick<Row<typeof users>, "suspended_until">): boolean {
    return suspendedUntil(row, this.now()) !== undefined;
  }
}
