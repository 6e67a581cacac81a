import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ServiceUnavailableError,
  UnauthorizedError,
} from "../errors";
import type { Row } from "../store/schema";
import type { WideRowStore } from "../store/store";
import { cacheKeys, type Cache } from "../cache/cache";
import type { AccessTokens } from "./access-tokens";
import type { LoginInput, SignupInput, UpdateMeInput } from "./params";
import { hashPassword, verifyAgainstNothing, verifyPassword } from "./passwords";
import { emails, sessions, userCounts, usernames, users } from "./tables";
import { toUserView, type Relationship, type UserView } from "./user-view";
import { LruMap } from "../concurrency/lru-map";
import { SessionList, type ClientInfo } from "./session-list";
import {
  deactivatedSince,
  FOREVER_UNTIL,
  heldForReview,
  hiddenFromEveryone,
  suspendedUntil,
} from "./standing";
import type { VerificationMode } from "./recovery";

/** Long enough for one sign-up to finish, short enough that a crashed one frees its name quickly. */
const CLAIM_TTL_SECONDS = 120;
const FOREVER = { ttlSeconds: 0 };

export interface IdSource {
  next(): Promise<string>;
}

export interface Caller {
  userId: string;
  sessionId: string;
}

/** Avatars are media; the media service answers for them, wherever it runs. */
export interface AvatarSource {
  /**
   * The URL of the `small` variant of an image of `ownerId` (null while it is still processing), or undefined
   * when `mediaId` names no image of theirs.
   */
  avatarOf(ownerId: string, mediaId: string): Promise<{ url: string | null } | undefined>;
}

/** Who may fetch an owner's media files follows their privacy; the media service keeps that, wherever it runs. */
export interface OwnerMediaAccess {
  /** The avatar is shown with the profile: public unless the account is private. */
  avatarChosen(ownerId: string, mediaId: string, isPrivate: boolean): Promise<void>;
  /** Going private stops the plain URLs of the owner's media at once; going public serves them again. */
  privacyChanged(ownerId: string, isPrivate: boolean): Promise<void>;
}

/** How one user stands to another; the follow graph answers. */
export interface RelationshipSource {
  relationship(viewerId: string, targetId: string): Promise<Relationship & { blockedBy: boolean }>;
}

export interface AccountsDeps {
  store: WideRowStore;
  ids: IdSource;
  tokens: AccessTokens;
  avatars: AvatarSource;
  relationships: RelationshipSource;
  /** Absent (unit tests): media access is not kept in step with privacy. */
  ownerMedia?: OwnerMediaAccess;
  /**
   * Keeps avatar URLs for `ttlMs`, so that a page of profiles does not ask the media service for each one;
   * absent, every view asks.
   */
  avatarCache?: { cache: Cache; ttlMs: number };
  /** Makes profile changes searchable; absent (unit tests), search is not told. */
  searchSync?: ProfileChanges;
  /** Email verification at sign-up (lib/accounts/recovery.ts); absent: off. `send` never throws. */
  verification?: { mode: VerificationMode; send(userId: string, email: string): Promise<void> };
  /** The line of deleted accounts waiting for their erasure (lib/erasure); absent, nothing is ever erased. */
  erasures?: {
    schedule(userId: string, eraseAfter: Date): Promise<void>;
    unschedule(userId: string, eraseAfter: Date): Promise<void>;
  };
  now?: () => number;
}

/** Runs a write to an account and makes search see it (lib/search/search-sync.ts). */
export interface ProfileChanges {
  /** `privacy`: the account's posts changed visibility too. */
  profileChanged<T>(userId: string, privacy: boolean, change: () => Promise<T>): Promise<T>;
}

/** Sessions a node remembers as live; past it the least recently used are read again. */
const LIVE_SESSIONS = 100_000;
/**
 * How long a session seen live is taken as live without reading it. A logout tells every users node at once
 * (`forgetSession`); this bounds the rest: a node that missed being told (cut off from the one logging out, but
 * not from a gateway) honours the revocation at most this late.
 */
const LIVE_SESSION_TTL_MS = 30_000;

/** What anyone may see of an account (Accounts.publicProfile). */
export interface PublicProfile {
  view: UserView;
  held: boolean;
}

export interface SignedIn {
  user: UserView;
  token: string;
}

/** A sign-up where the address must be verified before signing in: no session yet. */
export interface VerificationPending {
  user: UserView;
  emailVerification: "required";
}

/** Sign-up, sign-in, sessions and profiles: the account rules, independent of how they are served. */
export class Accounts {
  private readonly store: WideRowStore;
  private readonly ids: IdSource;
  private readonly tokens: AccessTokens;
  private readonly avatars: AvatarSource;
  private readonly relationships: RelationshipSource;
  private readonly ownerMedia: OwnerMediaAccess | undefined;
  private readonly avatarCache: AccountsDeps["avatarCache"];
  private readonly searchSync: ProfileChanges | undefined;
  private readonly verification: AccountsDeps["verification"];
  private readonly erasures: AccountsDeps["erasures"];
  private readonly now: () => number;
  /** `userId:sessionId` → until when it is taken as live without a read. */
  private readonly liveSessions = new LruMap<string, number>(LIVE_SESSIONS);
  /** The owner's view of their sessions: listed, ended one by one or all but the current. */
  readonly sessions: SessionList;

  constructor(deps: AccountsDeps) {
    this.ownerMedia = deps.ownerMedia;
    this.avatarCache = deps.avatarCache;
    this.store = deps.store;
    this.ids = deps.ids;
    this.tokens = deps.tokens;
    this.avatars = deps.avatars;
    this.relationships = deps.relationships;
    this.searchSync = deps.searchSync;
    this.verification = deps.verification;
    this.erasures = deps.erasures;
    this.now = deps.now ?? Date.now;
    this.sessions = new SessionList(deps.store, this.now);
  }

  async signup(input: SignupInput, client?: ClientInfo): Promise<SignedIn | VerificationPending> {
    // Hash before claiming anything, so a claim is held only for the few milliseconds of the writes below.
    const passwordHash = await hashPassword(input.password);
    const userId = await this.ids.next();

    const name = await this.store.insertIfAbsent(
      usernames,
      { username: input.username, user_id: userId },
      { ttlSeconds: CLAIM_TTL_SECONDS },
    );
    if (!name.applied) throw new ConflictError("USERNAME_TAKEN", "this username is taken");

    const mail = await this.store.insertIfAbsent(
      emails,
      { email: input.email, user_id: userId },
      { ttlSeconds: CLAIM_TTL_SECONDS },
    );
    if (!mail.applied) {
      await this.releaseUsername(input.username, userId);
      throw new ConflictError("EMAIL_TAKEN", "an account with this email exists");
    }

    await this.changed(userId, false, () =>
      this.store.put(users, {
        user_id: userId,
        username: input.username,
        email: input.email,
        password_hash: passwordHash,
        display_name: input.displayName ?? input.username,
        bio: "",
        is_private: false,
        created_at: new Date(this.now()),
      }),
    );
    // The account exists now: make both claims permanent, conditionally, so the write is ordered after the
    // claim it confirms (a plain write could lose to it in Cassandra, and the name would expire).
    const kept = await Promise.all([
      this.store.updateIf(
        usernames,
        { username: input.username, user_id: userId },
        { user_id: userId },
        FOREVER,
      ),
      this.store.updateIf(emails, { email: input.email, user_id: userId }, { user_id: userId }, FOREVER),
    ]);
    if (kept.includes(false)) {
      // Only a sign-up stalled past the claims' TTL gets here; its account row names a login nobody can use.
      throw new ServiceUnavailableError("SIGNUP_INTERRUPTED", "sign-up took too long: try again");
    }

    const mode = this.verification?.mode ?? "off";
    if (mode !== "off") await this.verification?.send(userId, input.email);
    if (mode === "required") return { user: await this.me(userId), emailVerification: "required" };
    return this.startSession(userId, client);
  }

  async login(input: LoginInput, client?: ClientInfo): Promise<SignedIn> {
    const userId = await this.findUserId(input.login);
    const row = userId === undefined ? undefined : await this.store.get(users, { user_id: userId });
    const ok =
      row?.password_hash === undefined
        ? await verifyAgainstNothing(input.password)
        : await verifyPassword(row.password_hash, input.password);
    if (!ok || userId === undefined || row === undefined) {
      throw new UnauthorizedError("the username, email or password is wrong");
    }
    // Said only to whoever knows the password: a wrong one learns nothing about the account's standing.
    const until = suspendedUntil(row, this.now());
    if (until !== undefined) {
      throw new ForbiddenError(
        "ACCOUNT_SUSPENDED",
        until.getTime() >= FOREVER_UNTIL.getTime()
          ? "this account is suspended"
          : `this account is suspended until ${until.toISOString()}`,
      );
    }
    if (deactivatedSince(row) !== undefined) {
      // Past its grace the account is as good as erased; within it, signing in takes the deletion back.
      if ((row.erase_after?.getTime() ?? 0) <= this.now()) {
        throw new UnauthorizedError("the username, email or password is wrong");
      }
      await this.store.put(users, { user_id: userId, deactivated_at: new Date(0), erase_after: new Date(0) });
      // After the row: a line row left by a crash here is dropped by the sweep, which reads the row first.
      if (row.erase_after !== undefined) await this.erasures?.unschedule(userId, row.erase_after);
    }
    if (this.verification?.mode === "required" && (row.email_verified_at?.getTime() ?? 0) <= 0) {
      throw new ForbiddenError(
        "EMAIL_NOT_VERIFIED",
        "confirm your email address first: follow the link we mailed you, or ask for another",
      );
    }
    return this.startSession(userId, client);
  }

  /** Revokes the session; the caller tells every users node to forget it too (`forgetSession`). */
  async logout(caller: Caller): Promise<void> {
    this.forgetSession(caller);
    await this.store.delete(sessions, { user_id: caller.userId, session_id: caller.sessionId });
  }

  /**
   * Resolves a bearer token to its caller; a token whose session was revoked is refused like a forged one. A
   * session seen live lately is not read again: the common request costs a signature check and no store read.
   */
  async authenticate(token: string): Promise<Caller> {
    const claims = await this.tokens.verify(token);
    const key = sessionKey(claims);
    const now = this.now();
    if ((this.liveSessions.get(key) ?? 0) > now)
      return { userId: claims.userId, sessionId: claims.sessionId };
    const session = await this.store.get(sessions, { user_id: claims.userId, session_id: claims.sessionId });
    if (session === undefined) throw new UnauthorizedError();
    this.liveSessions.set(key, now + LIVE_SESSION_TTL_MS);
    // "Last used" for the owner's list; never holds up, nor fails, the request.
    this.sessions.touch(session).catch(() => undefined);
    return { userId: claims.userId, sessionId: claims.sessionId };
  }

  /** This node stops taking the session as live: the next request with it reads the store. */
  forgetSession(caller: Caller): void {
    this.liveSessions.delete(sessionKey(caller));
  }

  async me(userId: string): Promise<UserView> {
    const row = await this.store.get(users, { user_id: userId });
    if (row === undefined) throw new UnauthorizedError("this account no longer exists");
    const counts = await this.store.get(userCounts, { user_id: userId });
    return toUserView(row, counts, { email: true, avatarUrl: await this.avatarUrlOf(row) });
  }

  async updateMe(userId: string, patch: UpdateMeInput): Promise<UserView> {
    if (patch.avatarMediaId !== undefined && !(await this.avatars.avatarOf(userId, patch.avatarMediaId))) {
      throw new BadRequestError("MEDIA_NOT_FOUND", "avatarMediaId does not name an image of yours", {
        field: "avatarMediaId",
      });
    }
    const before = await this.store.get(users, { user_id: userId });
    if (before === undefined) throw new UnauthorizedError("this account no longer exists");
    const changes = {
      ...(patch.displayName !== undefined && { display_name: patch.displayName }),
      ...(patch.bio !== undefined && { bio: patch.bio }),
      ...(patch.isPrivate !== undefined && { is_private: patch.isPrivate }),
      ...(patch.avatarMediaId !== undefined && { avatar_media_id: patch.avatarMediaId }),
    };
    if (Object.keys(changes).length > 0) {
      await this.changed(userId, patch.isPrivate !== undefined, () =>
        this.store.put(users, { user_id: userId, ...changes }),
      );
    }
    const isPrivate = patch.isPrivate ?? before.is_private ?? false;
    // After the account row, and on every PATCH naming isPrivate (not only a change): a retry after a failure
    // here finishes the job instead of finding nothing to do.
    if (patch.isPrivate !== undefined) await this.ownerMedia?.privacyChanged(userId, isPrivate);
    if (patch.avatarMediaId !== undefined) {
      await this.ownerMedia?.avatarChosen(userId, patch.avatarMediaId, isPrivate);
    }
    return this.me(userId);
  }

  private changed<T>(userId: string, privacy: boolean, change: () => Promise<T>): Promise<T> {
    return this.searchSync ? this.searchSync.profileChanged(userId, privacy, change) : change();
  }

  async getByUsername(viewerId: string | undefined, username: string): Promise<UserView> {
    const id = await this.idOf(username);
    const view = id === undefined ? undefined : await this.view(viewerId, id);
    if (view === undefined) throw new NotFoundError("USER_NOT_FOUND", "no such user");
    return view;
  }

  /** The id behind a username, or undefined. */
  async idOf(username: string): Promise<string | undefined> {
    const claim = await this.store.get(usernames, { username: username.toLowerCase() });
    if (claim?.user_id === undefined) return undefined;
    const row = await this.store.get(users, { user_id: claim.user_id });
    // A claim whose account row is missing belongs to a sign-up still in flight (or one that died).
    return row?.username === claim.username ? claim.user_id : undefined;
  }

  /** Ids of the usernames that exist, by lower-case username. */
  async idsOf(names: readonly string[]): Promise<Map<string, string>> {
    const found = await Promise.all(names.map(async (name) => [name, await this.idOf(name)] as const));
    return new Map(found.filter((entry): entry is readonly [string, string] => entry[1] !== undefined));
  }

  /**
   * A user as the viewer sees them; undefined when gone, suspended, or when either blocks the other.
   */
  async view(viewerId: string | undefined, userId: string): Promise<UserView | undefined> {
    const row = await this.shownRow(userId);
    if (row === undefined) return undefined;
    // All at once: a block, which makes the counts and avatar wasted reads, is the rare case.
    const [relationship, { counts, avatarUrl }] = await Promise.all([
      viewerId !== undefined && viewerId !== userId
        ? this.relationships.relationship(viewerId, userId)
        : undefined,
      this.profileParts(row),
    ]);
    if (relationship === undefined) return toUserView(row, counts, { avatarUrl });
    const { blockedBy, ...shown } = relationship;
    if (blockedBy || shown.blocking) return undefined;
    return toUserView(row, counts, { avatarUrl, relationship: shown });
  }

  /** Whether an account is private, when it is shown at all (not suspended nor deleted by its owner). */
  async shown(userId: string): Promise<{ isPrivate: boolean } | undefined> {
    const row = await this.shownRow(userId);
    return row && { isPrivate: row.is_private ?? false };
  }

  /**
   * A user as anyone sees them, without a relationship, and whether they are held for review (left out of
   * discovery); undefined when gone or hidden from everyone.
   */
  async publicProfile(userId: string): Promise<PublicProfile | undefined> {
    const row = await this.shownRow(userId);
    if (row === undefined) return undefined;
    const { counts, avatarUrl } = await this.profileParts(row);
    return { view: toUserView(row, counts, { avatarUrl }), held: heldForReview(row) };
  }

  /**
   * The account's row unless it is hidden from everyone. A suspended account is hidden as if gone: its profile,
   * and with it everything shown under its name (posts, stories, comments, likes, notifications), since every
   * list builds its people from here.
   */
  private async shownRow(userId: string): Promise<Row<typeof users> | undefined> {
    const row = await this.store.get(users, { user_id: userId });
    return row === undefined || hiddenFromEveryone(row, this.now()) ? undefined : row;
  }

  /** What a profile shows beyond its row: its counters and its avatar's URL. */
  private async profileParts(
    row: Row<typeof users>,
  ): Promise<{ counts: Row<typeof userCounts> | undefined; avatarUrl: string | null }> {
    const [counts, avatarUrl] = await Promise.all([
      this.store.get(userCounts, { user_id: row.user_id }),
      this.avatarUrlOf(row),
    ]);
    return { counts, avatarUrl };
  }

  /**
   * The avatar's URL. Kept by owner, image and privacy, so a new avatar or a change of privacy (plain URL or
   * signed) is asked afresh; an image still processing (no URL yet) is never kept. A signed URL is kept for far
   * less than it lives (see avatarCache in app-context.ts).
   */
  private async avatarUrlOf(row: {
    user_id: string;
    avatar_media_id?: string;
    is_private?: boolean;
  }): Promise<string | null> {
    const mediaId = row.avatar_media_id;
    if (mediaId === undefined) return null;
    const kept = this.avatarCache;
    const key = cacheKeys.avatar(row.user_id, mediaId, row.is_private ?? false);
    if (kept) {
      const [url] = await kept.cache.getMany<string>([key]).catch((): (string | undefined)[] => []);
      if (url !== undefined) return url;
    }
    const url = (await this.avatars.avatarOf(row.user_id, mediaId))?.url ?? null;
    if (kept && url !== null) await kept.cache.set(key, url, kept.ttlMs).catch(() => undefined);
    return url;
  }

  /**
   * Changes the password, given the current one, and ends every other session (a thief's included); the caller
   * tells every node about those ended (services/users.service.ts). A wrong current password is a 400 on its
   * field: the caller is signed in, so it tells them nothing they could not learn by signing in.
   */
  async changePassword(
    caller: Caller,
    input: { currentPassword: string; newPassword: string },
  ): Promise<{ userId: string; sessionId: string }[]> {
    const row = await this.store.get(users, { user_id: caller.userId });
    if (row?.password_hash === undefined) throw new UnauthorizedError("this account no longer exists");
    if (!(await verifyPassword(row.password_hash, input.currentPassword))) {
      throw new BadRequestError("PASSWORD_WRONG", "the current password is wrong", {
        field: "currentPassword",
      });
    }
    await this.store.put(users, {
      user_id: caller.userId,
      password_hash: await hashPassword(input.newPassword),
    });
    const ended = await this.sessions.endAllBut(caller.userId, caller.sessionId);
    for (const session of ended) this.forgetSession(session);
    return ended;
  }

  /**
   * `DELETE /api/me`: with the password, the account is hidden from everyone at once and every session ends;
   * it is erased once `graceMs` has passed, unless its owner signs in before. Answers when, and the sessions
   * ended, for every node to forget.
   */
  async deactivate(
    caller: Caller,
    password: string,
    graceMs: number,
  ): Promise<{ eraseAfter: Date; ended: { userId: string; sessionId: string }[] }> {
    const row = await this.store.get(users, { user_id: caller.userId });
    if (row?.password_hash === undefined) throw new UnauthorizedError("this account no longer exists");
    if (!(await verifyPassword(row.password_hash, password))) {
      throw new BadRequestError("PASSWORD_WRONG", "the password is wrong", { field: "password" });
    }
    const now = this.now();
    const eraseAfter = new Date(now + graceMs);
    // In line before the row says deleted: a crash in between leaves a line row the sweep drops, never a deleted
    // account nothing erases.
    await this.erasures?.schedule(caller.userId, eraseAfter);
    await this.changed(caller.userId, true, () =>
      this.store.put(users, {
        user_id: caller.userId,
        deactivated_at: new Date(now),
        erase_after: eraseAfter,
      }),
    );
    const ended = await this.sessions.endAllBut(caller.userId, undefined);
    for (const session of ended) this.forgetSession(session);
    return { eraseAfter, ended };
  }

  /** Whether the account is deleted and its grace period over: one an erasure may take. */
  async isDueForErasure(userId: string): Promise<boolean> {
    const row = await this.store.get(users, { user_id: userId });
    if (row === undefined) return true;
    return deactivatedSince(row) !== undefined && (row.erase_after?.getTime() ?? 0) <= this.now();
  }

  /**
   * The last step of an account's erasure (lib/erasure): its sessions, counts, and the claims on its address and
   * username (free from here), then its row, with search told as for any profile change.
   */
  async erase(userId: string): Promise<void> {
    const row = await this.store.get(users, { user_id: userId });
    await this.store.deletePartition(sessions, { user_id: userId });
    await this.store.delete(userCounts, { user_id: userId });
    if (row?.email !== undefined)
      await this.store.deleteIf(emails, { email: row.email }, { user_id: userId });
    if (row?.username !== undefined) {
      await this.store.deleteIf(usernames, { username: row.username }, { user_id: userId });
    }
    await this.changed(userId, true, () => this.store.delete(users, { user_id: userId }));
  }

  private async startSession(userId: string, client?: ClientInfo): Promise<SignedIn> {
    const sessionId = await this.ids.next();
    const { token, expiresAt } = await this.tokens.issue(userId, sessionId);
    await this.store.put(
      sessions,
      {
        user_id: userId,
        session_id: sessionId,
        created_at: new Date(this.now()),
        expires_at: expiresAt,
        ...(client !== undefined && { user_agent: client.userAgent, address: client.address }),
      },
      // The row outlives the token by a little, so it is never the row's expiry that ends a valid token.
      { ttlSeconds: this.tokens.lifetimeSeconds + 60 },
    );
    return { user: await this.me(userId), token };
  }

  private async findUserId(login: string): Promise<string | undefined> {
    const claim = login.includes("@")
      ? await this.store.get(emails, { email: login.toLowerCase() })
      : await this.store.get(usernames, { username: login.toLowerCase() });
    return claim?.user_id;
  }

  private async releaseUsername(username: string, userId: string): Promise<void> {
    await this.store.deleteIf(usernames, { username }, { user_id: userId });
  }
}

function sessionKey(caller: Caller): string {
  return `${caller.userId}:${caller.sessionId}`;
}
