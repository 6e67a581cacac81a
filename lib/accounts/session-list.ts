import { NotFoundError } from "../errors";
import type { WideRowStore } from "../store/store";
import { sessions } from "./tables";

/** The newest sessions the list shows; "sign out everywhere else" ends them all, listed or not. */
export const MAX_SESSIONS = 100;
/** How stale a session's "last used" may be: written when a node reads the row again, at most this often. */
export const LAST_USED_EVERY_MS = 5 * 60_000;

/** Where a request came from, as the gateway saw it. */
export interface ClientInfo {
  address: string;
  userAgent: string;
}

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string;
  address: string;
  current: boolean;
}

/**
 * A user's signed-in sessions as they see and end them (`GET/DELETE /api/me/sessions`). Ending one deletes its
 * row, which revokes its token on every node at once once they are told (services/users.service.ts).
 */
export class SessionList {
  constructor(
    private readonly store: WideRowStore,
    private readonly now: () => number,
  ) {}

  /** The live sessions, newest first, the caller's own marked. */
  async list(userId: string, currentId: string): Promise<SessionView[]> {
    const slice = await this.store.slice(sessions, { user_id: userId }, { limit: MAX_SESSIONS });
    const now = this.now();
    return slice.rows
      .filter((row) => (row.expires_at?.getTime() ?? 0) > now)
      .map((row) => {
        const createdAt = (row.created_at ?? new Date(0)).toISOString();
        return {
          id: row.session_id,
          createdAt,
          lastUsedAt: row.last_used_at?.toISOString() ?? createdAt,
          userAgent: row.user_agent ?? "",
          address: row.address ?? "",
          current: row.session_id === currentId,
        };
      });
  }

  /** Ends one of the user's sessions (404 when there is none by that id); answers it for the broadcast. */
  async end(userId: string, sessionId: string): Promise<{ userId: string; sessionId: string }> {
    const row = await this.store.get(sessions, { user_id: userId, session_id: sessionId });
    if (row === undefined) throw new NotFoundError("SESSION_NOT_FOUND", "no such session");
    await this.store.delete(sessions, { user_id: userId, session_id: sessionId });
    return { userId, sessionId };
  }

  /** Ends every session of the user but `keepId` (none kept when undefined); answers those ended. */
  async endAllBut(
    userId: string,
    keepId: string | undefined,
  ): Promise<{ userId: string; sessionId: string }[]> {
    const ended: { userId: string; sessionId: string }[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.store.slice(sessions, { user_id: userId }, { limit: 500, pageToken });
      for (const row of page.rows) {
        if (row.session_id === keepId) continue;
        await this.store.delete(sessions, { user_id: userId, session_id: row.session_id });
        ended.push({ userId, sessionId: row.session_id });
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    return ended;
  }

  /** Records that the session is in use, when what the row says is older than LAST_USED_EVERY_MS. */
  async touch(row: {
    user_id: string;
    session_id: string;
    created_at?: Date;
    expires_at?: Date;
    last_used_at?: Date;
  }): Promise<void> {
    const now = this.now();
    const last = (row.last_used_at ?? row.created_at ?? new Date(0)).getTime();
    if (now - last < LAST_USED_EVERY_MS) return;
    // With the rest of the row's life: a cell written without a TTL would outlive the session's row in Cassandra.
    const left = Math.ceil(((row.expires_at?.getTime() ?? now) - now) / 1000) + 60;
    await this.store.put(
      sessions,
      { user_id: row.user_id, session_id: row.session_id, last_used_at: new Date(now) },
      { ttlSeconds: Math.max(1, left) },
    );
  }
}
