import { createHash, randomBytes } from "node:crypto";
import { BadRequestError } from "../errors";
import type { Mailer } from "../mail";
import type { WideRowStore } from "../store/store";
import { hashPassword } from "./passwords";
import type { SessionList } from "./session-list";
import { accountTokens, emails, recoveryRequests, users } from "./tables";

/** A reset link works for an hour, once. */
export const RESET_TOKEN_TTL_SECONDS = 3600;
/** A verification link works for two days, once. */
export const VERIFY_TOKEN_TTL_SECONDS = 2 * 24 * 3600;
/** Mails one address may be sent per hour on request (reset links, verification again). */
export const MAILS_PER_ADDRESS_PER_HOUR = 3;

/** Email verification at sign-up: none, a link that marks the address verified, or no sign-in until it is. */
export type VerificationMode = "off" | "optional" | "required";

type Purpose = "reset" | "verify";

export interface RecoveryDeps {
  store: WideRowStore;
  ids: { next(): Promise<string> };
  mailer: Mailer;
  sessions: Pick<SessionList, "endAllBut">;
  /** Where the web client is, for the links in the mail. */
  baseUrl: () => string;
  now: () => number;
  warn: (message: string) => void;
}

/**
 * Recovery and verification by mail: single-use tokens kept as their hash (`account_tokens`), mailed as links to
 * the web client. Asking for a reset answers the same whether the address has an account or not, and sends in the
 * background, so neither the answer nor its timing tells; each address gets at most a few mails an hour.
 */
export class Recovery {
  constructor(private readonly deps: RecoveryDeps) {}

  async requestReset(emailAddress: string): Promise<void> {
    const email = emailAddress.toLowerCase();
    if (!(await this.withinLimit(email))) return;
    void this.mailReset(email).catch((err: unknown) =>
      this.deps.warn(`password reset mail not sent: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  /** Sets the new password and ends every session; answers those ended, for every node to forget. */
  async confirmReset(token: string, password: string): Promise<{ userId: string; sessionId: string }[]> {
    const taken = await this.take("reset", token);
    const passwordHash = await hashPassword(password);
    // Following the link proves the address too.
    await this.deps.store.put(users, {
      user_id: taken.userId,
      password_hash: passwordHash,
      email_verified_at: new Date(this.deps.now()),
    });
    return this.deps.sessions.endAllBut(taken.userId, undefined);
  }

  /** Mails a verification link for the account's address (at sign-up, or asked again). */
  async sendVerification(userId: string, email: string): Promise<void> {
    const token = await this.issue("verify", userId, email, VERIFY_TOKEN_TTL_SECONDS);
    await this.deps.mailer.send({
      to: email,
      subject: "Confirm your email address for Mosaic",
      text: [
        "Welcome to Mosaic!",
        "",
        "Confirm that this address is yours by opening this link (it works once, for two days):",
        "",
        `${this.deps.baseUrl()}/verify-email?token=${token}`,
        "",
        "If you did not sign up, ignore this message.",
      ].join("\n"),
    });
  }

  /** Asked again by address (an account that may not sign in before it verifies): the same answer either way. */
  async resendVerification(emailAddress: string): Promise<void> {
    const email = emailAddress.toLowerCase();
    if (!(await this.withinLimit(email))) return;
    void (async () => {
      const account = await this.accountOf(email);
      if (account === undefined || account.verified) return;
      await this.sendVerification(account.userId, email);
    })().catch((err: unknown) =>
      this.deps.warn(`verification mail not sent: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  async verifyEmail(token: string): Promise<void> {
    const taken = await this.take("verify", token);
    const row = await this.deps.store.get(users, { user_id: taken.userId });
    // A link for an address the account no longer has verifies nothing.
    if (row?.email !== taken.email) throw invalidToken();
    await this.deps.store.put(users, { user_id: taken.userId, email_verified_at: new Date(this.deps.now()) });
  }

  private async mailReset(email: string): Promise<void> {
    const account = await this.accountOf(email);
    if (account === undefined) return;
    const token = await this.issue("reset", account.userId, email, RESET_TOKEN_TTL_SECONDS);
    await this.deps.mailer.send({
      to: email,
      subject: "Reset your Mosaic password",
      text: [
        "Someone asked to reset the password of the Mosaic account with this address.",
        "",
        "To choose a new password, open this link (it works once, for an hour):",
        "",
        `${this.deps.baseUrl()}/reset-password?token=${token}`,
        "",
        "Every device signed in to the account will be signed out. If you did not ask for this, ignore this",
        "message: your password stays as it is.",
      ].join("\n"),
    });
  }

  private async accountOf(email: string): Promise<{ userId: string; verified: boolean } | undefined> {
    const claim = await this.deps.store.get(emails, { email });
    if (claim?.user_id === undefined) return undefined;
    const row = await this.deps.store.get(users, { user_id: claim.user_id });
    if (row === undefined) return undefined;
    return { userId: row.user_id, verified: (row.email_verified_at?.getTime() ?? 0) > 0 };
  }

  /** Counts this request against the address's hour; false past the bound (nothing is sent, nothing said). */
  private async withinLimit(email: string): Promise<boolean> {
    const since = this.deps.now() - 3600_000;
    const recent = await this.deps.store.slice(
      recoveryRequests,
      { email },
      { limit: MAILS_PER_ADDRESS_PER_HOUR + 1 },
    );
    const inHour = recent.rows.filter((row) => (row.created_at?.getTime() ?? 0) > since).length;
    if (inHour >= MAILS_PER_ADDRESS_PER_HOUR) return false;
    await this.deps.store.put(recoveryRequests, {
      email,
      request_id: await this.deps.ids.next(),
      created_at: new Date(this.deps.now()),
    });
    return true;
  }

  private async issue(purpose: Purpose, userId: string, email: string, ttlSeconds: number): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    await this.deps.store.insertIfAbsent(
      accountTokens,
      {
        token_hash: hashOf(token),
        purpose,
        user_id: userId,
        email,
        expires_at: new Date(this.deps.now() + ttlSeconds * 1000),
      },
      { ttlSeconds },
    );
    return token;
  }

  /** The token's account, once: the conditional delete lets exactly one of racing uses through. */
  private async take(purpose: Purpose, token: string): Promise<{ userId: string; email: string }> {
    const key = { token_hash: hashOf(token) };
    const row = await this.deps.store.get(accountTokens, key);
    if (
      row?.user_id === undefined ||
      row.purpose !== purpose ||
      (row.expires_at?.getTime() ?? 0) <= this.deps.now()
    ) {
      throw invalidToken();
    }
    if (!(await this.deps.store.deleteIf(accountTokens, key, { user_id: row.user_id }))) throw invalidToken();
    return { userId: row.user_id, email: row.email ?? "" };
  }
}

function hashOf(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

function invalidToken(): BadRequestError {
  return new BadRequestError("INVALID_TOKEN", "this link is invalid, used or expired: ask for a new one", {
    field: "token",
  });
}
