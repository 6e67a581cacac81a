import { BadRequestError, NotFoundError } from "../errors";
import { FOREVER_UNTIL, roleOf, suspendedUntil, type AccountStanding, type Role } from "../accounts";
import { parseAuditDay, type AuditLog, type AuditRow } from "../audit";
import type { Row } from "../store/schema";
import type { users } from "../accounts/tables";
import type { MediaView } from "../contracts/objects";
import { ConsoleOnlyError, describeAuthority, type Authority } from "./authority";
import type { AdminUser, SuspendInput } from "./params";
import type { FailedTranscode } from "../media-library/params";

/** What admin commands ask of the services that own the data (bound to the broker by the admin service). */
export interface AdminCluster {
  /** Nodes that keep profiles for a moment (feed pages) read the account again. */
  standingChanged(userId: string): Promise<void>;
  /** Every users node stops taking these sessions as live, and their open streams close. */
  sessionsRevoked(userId: string, sessionIds: readonly string[]): Promise<void>;
  recountFollows(userId: string): Promise<{ followers: number; following: number }>;
  recountPosts(userId: string): Promise<number>;
  recountPost(postId: string): Promise<{ likes: number; comments: number }>;
  rebuildTimeline(userId: string): Promise<{ authors: number; entries: number }>;
  backfillActivity(): Promise<{ likes: number; comments: number; saves: number; indexed: number }>;
  /** Erases now the deleted accounts whose grace period is over (lib/erasure); answers how many. */
  eraseDue(): Promise<number>;
  failedTranscodes(limit: number): Promise<FailedTranscode[]>;
  retryTranscode(mediaId: string): Promise<MediaView>;
  drain(nodeId: string): Promise<void>;
}

export interface AdminDeps {
  standing: AccountStanding;
  audit: AuditLog;
  cluster: AdminCluster;
  now?: () => number;
}

/**
 * The operator's commands, the same whether an admin's token or the console calls them: each finds its target,
 * records itself in the audit log before it acts (no row, no action), acts, and settles its row with the outcome.
 */
export class Admin {
  private readonly now: () => number;

  constructor(private readonly deps: AdminDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The account behind a caller, as authority needs it. */
  async account(userId: string): Promise<{ role: Role | undefined; username: string } | undefined> {
    const row = await this.deps.standing.find(userId);
    return row && { role: roleOf(row), username: row.username ?? "" };
  }

  /** Looking up is reading: it is not audited. */
  async lookup(given: string): Promise<AdminUser> {
    return this.describe(await this.target(given));
  }

  suspend(by: Authority, input: SuspendInput): Promise<AdminUser> {
    const until = input.until === undefined ? undefined : new Date(input.until);
    if (until !== undefined && until.getTime() <= this.now()) {
      throw new BadRequestError("VALIDATION_FAILED", "until must be in the future", {
        fields: { until: "must be in the future" },
      });
    }
    return this.audited(by, "suspend", input.user, input, async (row) => {
      await this.deps.standing.suspend(row.user_id, until, input.reason);
      await this.deps.cluster.standingChanged(row.user_id);
      // Signed out everywhere: a suspended account cannot sign in again (Accounts.login).
      await this.revokeAll(row.user_id);
      return this.describe(await this.reread(row));
    });
  }

  unsuspend(by: Authority, given: string): Promise<AdminUser> {
    return this.audited(by, "unsuspend", given, { user: given }, async (row) => {
      await this.deps.standing.unsuspend(row.user_id);
      await this.deps.cluster.standingChanged(row.user_id);
      return this.describe(await this.reread(row));
    });
  }

  setRole(by: Authority, given: string, role: Role | "none"): Promise<AdminUser> {
    // An admin's token must not mint admins: roles come from whoever runs the cluster.
    if (by.kind !== "console") throw new ConsoleOnlyError("granting a role");
    return this.audited(by, "set-role", given, { user: given, role }, async (row) => {
      await this.deps.standing.setRole(row.user_id, role === "none" ? undefined : role);
      return this.describe(await this.reread(row));
    });
  }

  revokeSessions(by: Authority, given: string): Promise<{ revoked: number }> {
    return this.audited(by, "revoke-sessions", given, { user: given }, async (row) => ({
      revoked: await this.revokeAll(row.user_id),
    }));
  }

  recountUser(
    by: Authority,
    given: string,
  ): Promise<{ followers: number; following: number; posts: number }> {
    return this.audited(by, "recount-user", given, { user: given }, async (row) => {
      const [follows, posts] = await Promise.all([
        this.deps.cluster.recountFollows(row.user_id),
        this.deps.cluster.recountPosts(row.user_id),
      ]);
      return { ...follows, posts };
    });
  }

  recountPost(by: Authority, postId: string): Promise<{ likes: number; comments: number }> {
    return this.auditedRaw(by, "recount-post", `post ${postId}`, { id: postId }, () =>
      this.deps.cluster.recountPost(postId),
    );
  }

  rebuildTimeline(by: Authority, given: string): Promise<{ authors: number; entries: number }> {
    return this.audited(by, "rebuild-timeline", given, { user: given }, (row) =>
      this.deps.cluster.rebuildTimeline(row.user_id),
    );
  }

  failedTranscodes(limit: number): Promise<FailedTranscode[]> {
    return this.deps.cluster.failedTranscodes(limit);
  }

  backfillActivity(
    by: Authority,
  ): Promise<{ likes: number; comments: number; saves: number; indexed: number }> {
    return this.auditedRaw(by, "backfill-activity", "all accounts", {}, () =>
      this.deps.cluster.backfillActivity(),
    );
  }

  async eraseDue(by: Authority): Promise<{ erased: number }> {
    const erased = await this.auditedRaw(by, "erase-due", "deleted accounts past their grace", {}, () =>
      this.deps.cluster.eraseDue(),
    );
    return { erased };
  }

  retryTranscode(by: Authority, mediaId: string): Promise<MediaView> {
    return this.auditedRaw(by, "transcode-retry", `media ${mediaId}`, { mediaId }, () =>
      this.deps.cluster.retryTranscode(mediaId),
    );
  }

  drain(by: Authority, nodeId: string): Promise<{ nodeId: string; draining: true }> {
    return this.auditedRaw(by, "drain", `node ${nodeId}`, { nodeId }, async () => {
      await this.deps.cluster.drain(nodeId);
      return { nodeId, draining: true as const };
    });
  }

  async auditLog(options: { day?: string; limit: number }): Promise<AuditRow[]> {
    const day = options.day === undefined ? undefined : parseAuditDay(options.day);
    if (options.day !== undefined && day === undefined) {
      throw new BadRequestError("VALIDATION_FAILED", "day is no calendar day", {
        fields: { day: "must be a calendar day as YYYY-MM-DD" },
      });
    }
    return this.deps.audit.read({ ...(day !== undefined && { day }), limit: options.limit });
  }

  private async revokeAll(userId: string): Promise<number> {
    const revoked = await this.deps.standing.revokeSessions(userId);
    if (revoked.length > 0) await this.deps.cluster.sessionsRevoked(userId, revoked);
    return revoked.length;
  }

  private async target(given: string): Promise<Row<typeof users>> {
    const row = await this.deps.standing.find(given);
    if (row === undefined) throw new NotFoundError("USER_NOT_FOUND", `no user ${JSON.stringify(given)}`);
    return row;
  }

  private async reread(row: Row<typeof users>): Promise<Row<typeof users>> {
    return (await this.deps.standing.find(row.user_id)) ?? row;
  }

  private async describe(row: Row<typeof users>): Promise<AdminUser> {
    const until = suspendedUntil(row, this.now());
    const sessions = await this.deps.standing.sessionsOf(row.user_id);
    return {
      id: row.user_id,
      username: row.username ?? "",
      email: row.email ?? "",
      displayName: row.display_name ?? "",
      createdAt: (row.created_at ?? new Date(0)).toISOString(),
      role: roleOf(row) ?? null,
      suspension:
        until === undefined
          ? null
          : {
              until: until.getTime() >= FOREVER_UNTIL.getTime() ? null : until.toISOString(),
              reason: row.suspension_reason ?? "",
            },
      sessions: sessions.length,
    };
  }

  /** A command on one account: found first (404 when none), then audited under its name. */
  private async audited<T>(
    by: Authority,
    command: string,
    given: string,
    params: unknown,
    run: (row: Row<typeof users>) => Promise<T>,
  ): Promise<T> {
    const row = await this.target(given);
    return this.auditedRaw(by, command, `${row.username ?? ""} (${row.user_id})`, params, () => run(row));
  }

  /** Any command, audited: its row is written before it runs and settled with its outcome. */
  async auditedRaw<T>(
    by: Authority,
    command: string,
    target: string,
    params: unknown,
    run: () => Promise<T>,
  ): Promise<T> {
    const entry = { operator: describeAuthority(by), command, targetUser: target, action: command, params };
    const started = await this.deps.audit.record({ ...entry, outcome: "started" });
    try {
      const result = await run();
      await this.deps.audit.record({ ...entry, outcome: "ok" }, started);
      return result;
    } catch (err: unknown) {
      const message = err instanceof Error ? err.message : String(err);
      await this.deps.audit.record({ ...entry, outcome: `error: ${message}`.slice(0, 500) }, started);
      throw err;
    }
  }
}
