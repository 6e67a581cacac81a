import os from "node:os";
import { Errors, type ServiceBroker } from "moleculer";
import { call } from "./calls";
import type { CallerProofs } from "../lib/accounts";
import type { AuditRow } from "../lib/audit";

/** A console command named a user the cluster does not know: said in one line, never with a stack. */
export class UnknownUserError extends Error {
  override readonly name = "UnknownUserError";
  constructor(readonly given: string) {
    super(`no user ${JSON.stringify(given)}`);
  }
}

/** A console command that cannot run as asked (no key to sign with, params that are not JSON). */
export class ConsoleUsageError extends Error {
  override readonly name = "ConsoleUsageError";
}

/**
 * The user behind a username (or an id, given as digits, taken as it is): the profile the users service answers,
 * so a name it does not know, or one that cannot be a username, is an UnknownUserError.
 */
export async function lookUpUser(
  broker: ServiceBroker,
  given: string,
): Promise<{ id: string; username: string | undefined }> {
  if (/^\d{1,19}$/.test(given)) return { id: given, username: undefined };
  if (given === "") throw new UnknownUserError(given);
  try {
    const user = await call(broker, "users.get", { username: given });
    return { id: user.id, username: user.username };
  } catch (err: unknown) {
    // 404: no such user; 400/422: no such username could exist.
    if (err instanceof Errors.MoleculerError && [400, 404, 422].includes(err.code)) {
      throw new UnknownUserError(given);
    }
    throw err;
  }
}

/** Who runs the console: the OS user and the node, for the audit log. */
export function operatorOf(broker: ServiceBroker): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    // A container's uid may have no passwd entry.
    user = `uid ${process.getuid?.() ?? "?"}`;
  }
  return `${user}@${broker.nodeID}`;
}

export interface ActAsRequest {
  /** The user to act for: a username, or an id as digits. */
  user: string;
  /** The action to call, e.g. `posts.delete`. */
  action: string;
  params: Record<string, unknown>;
  operator: string;
}

export interface ActAsOutcome {
  userId: string;
  /** The audit row, as settled with the outcome. */
  audit: AuditRow;
  result?: unknown;
  error?: Error;
}

/**
 * Calls one action as a user, on purpose: the audit row is written first (no row, no call), then the caller is
 * signed for this one request (a fresh request id, so the proof serves nothing else), then the row is settled with
 * the outcome. Signing needs the cluster's token key (JWT_SECRET) on this node: an operator who has it could sign
 * without this command, so the audit records the operators who act as someone through the console, not a bound on
 * what the key's holders can do.
 */
export async function actAs(
  broker: ServiceBroker,
  proofs: CallerProofs | undefined,
  request: ActAsRequest,
): Promise<ActAsOutcome> {
  if (!proofs) {
    throw new ConsoleUsageError(
      "act-as signs with the cluster's token key: start the console with JWT_SECRET set",
    );
  }
  const user = await lookUpUser(broker, request.user);
  const entry = {
    operator: request.operator,
    command: "act-as",
    targetUser: user.username === undefined ? user.id : `${user.username} (${user.id})`,
    action: request.action,
    params: request.params,
  };
  const started = await call(broker, "users.recordAudit", { ...entry, outcome: "started" });
  const requestID = broker.generateUid();
  // The session is no real one: it names the audit row, so whatever logs the caller points back at it.
  const caller = { userId: user.id, sessionId: `act-as-${started.id}` };
  const meta = { user: { ...caller, proof: proofs.sign(caller, requestID) } };
  let outcome: Omit<ActAsOutcome, "audit">;
  try {
    outcome = {
      userId: user.id,
      result: await broker.call(request.action, request.params, { meta, requestID }),
    };
  } catch (err: unknown) {
    outcome = { userId: user.id, error: err instanceof Error ? err : new Error(String(err)) };
  }
  const audit = await call(broker, "users.recordAudit", {
    ...entry,
    id: started.id,
    at: started.at,
    outcome: outcome.error ? `error: ${outcome.error.message}` : "ok",
  });
  return { ...outcome, audit };
}

/** Params given as JSON text on the console: an object, or nothing. */
export function parseParams(text: unknown): Record<string, unknown> {
  if (text === undefined || text === "") return {};
  if (typeof text !== "string") throw new ConsoleUsageError("params must be a JSON object");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConsoleUsageError(`params must be a JSON object, as in '{"id":"123"}' (quoted), not ${text}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConsoleUsageError("params must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/** Any failure as the console says it: one line, the message (a Moleculer error's code too), no stack. */
export function oneLine(err: unknown): string {
  if (err instanceof UnknownUserError || err instanceof ConsoleUsageError) return err.message;
  if (err instanceof Errors.MoleculerError) return `error ${err.code} ${err.type}: ${err.message}`;
  return `error: ${err instanceof Error ? err.message : String(err)}`.split("\n")[0] ?? "error";
}
