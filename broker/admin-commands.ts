import type { ServiceBroker } from "moleculer";
import { call } from "./calls";
import { ConsoleUsageError, operatorOf } from "./operator";
import { argsOf, oneLineErrors, optionOf, type ReplCommand } from "./repl-args";
import type { CallerProofs } from "../lib/accounts";
import type { AdminUser } from "../lib/admin";
import type { ActionName, ParamsIn, ResultOf } from "../lib/contracts";

/**
 * Calls an admin action as the operator at this console: the call carries the operator's name with a proof
 * signed for this one request by the token key (lib/accounts/caller-proof.ts), which stands in for an admin's
 * token; the action writes the audit row.
 */
export function callAsOperator<N extends ActionName>(
  broker: ServiceBroker,
  proofs: CallerProofs | undefined,
  name: N,
  params: ParamsIn<N>,
): Promise<ResultOf<N>> {
  if (!proofs) {
    throw new ConsoleUsageError(
      "operator commands sign with the cluster's token key: start the console with JWT_SECRET set",
    );
  }
  const requestID = broker.generateUid();
  const operator = operatorOf(broker);
  const meta = { operator: { name: operator, proof: proofs.signOperator(operator, requestID) } };
  return call(broker, name, params, { requestID, meta });
}

function textArg(args: unknown, name: string): string {
  const value = argsOf(args)[name];
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
}

/** One account as the console shows it. */
export function describeUser(user: AdminUser): string {
  const standing =
    user.suspension === null
      ? "in good standing"
      : `suspended ${user.suspension.until === null ? "for good" : `until ${user.suspension.until}`} (${user.suspension.reason})`;
  return [
    `${user.username} (${user.id}) <${user.email}>, "${user.displayName}", since ${user.createdAt}`,
    `  role: ${user.role ?? "none"}; ${standing}; ${user.sessions} session(s) signed in`,
  ].join("\n");
}

type Run = (broker: ServiceBroker, args: unknown, proofs: CallerProofs | undefined) => Promise<string>;

function command(
  proofs: () => CallerProofs | undefined,
  spec: Omit<ReplCommand, "action">,
  run: Run,
): ReplCommand {
  return {
    ...spec,
    action: oneLineErrors(async (broker, args) => {
      console.log(await run(broker, args, proofs()));
    }),
  };
}

/** A duration as `30m`, `12h` or `7d`, in milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d{1,6})([mhd])$/.exec(text.trim());
  if (!match) throw new ConsoleUsageError(`--for ${text}: a duration such as 30m, 12h or 7d`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "m" | "h" | "d"];
  return Number(match[1]) * unit;
}

/**
 * The operator's console commands over the admin API's actions (services/admin.service.ts): each is audited by
 * the action with the operator's name, and an unknown user is one line.
 */
export const adminCommands = (proofs: () => CallerProofs | undefined): ReplCommand[] => [
  command(
    proofs,
    { command: "lookup <user>", description: "An account by username, id or email" },
    async (b, a, p) => describeUser(await callAsOperator(b, p, "admin.lookup", { user: textArg(a, "user") })),
  ),
  command(
    proofs,
    {
      command: "suspend <user>",
      description: "Suspend an account (signed out, cannot sign in, its content hidden); audited",
      options: [
        { option: "--reason <text>", description: "why (required; quote it)" },
        { option: "--for <duration>", description: "for how long: 30m, 12h, 7d; for good when absent" },
      ],
    },
    async (b, a, p) => {
      const reason = optionOf(a, "reason");
      if (reason === undefined || reason.trim() === "") throw new ConsoleUsageError("--reason is required");
      const span = optionOf(a, "for");
      const until = span === undefined ? undefined : new Date(Date.now() + parseDuration(span)).toISOString();
      const user = await callAsOperator(b, p, "admin.suspend", {
        user: textArg(a, "user"),
        reason,
        ...(until !== undefined && { until }),
      });
      return describeUser(user);
    },
  ),
  command(
    proofs,
    { command: "unsuspend <user>", description: "Lift a suspension; audited" },
    async (b, a, p) =>
      describeUser(await callAsOperator(b, p, "admin.unsuspend", { user: textArg(a, "user") })),
  ),
  command(
    proofs,
    { command: "revoke-sessions <user>", description: "Sign an account out everywhere; audited" },
    async (b, a, p) => {
      const { revoked } = await callAsOperator(b, p, "admin.revokeSessions", { user: textArg(a, "user") });
      return `${revoked} session(s) revoked`;
    },
  ),
  command(
    proofs,
    {
      command: "grant-role <user> <role>",
      description: "Give an account the admin or moderator role, or take it away with `none`; audited",
    },
    async (b, a, p) => {
      const role = textArg(a, "role");
      if (role !== "admin" && role !== "moderator" && role !== "none") {
        throw new ConsoleUsageError(`role ${role}: admin, moderator or none`);
      }
      return describeUser(await callAsOperator(b, p, "admin.setRole", { user: textArg(a, "user"), role }));
    },
  ),
  command(
    proofs,
    { command: "recount-user <user>", description: "Set an account's counts from its rows; audited" },
    async (b, a, p) => {
      const counts = await callAsOperator(b, p, "admin.recountUser", { user: textArg(a, "user") });
      return `followers ${counts.followers}, following ${counts.following}, posts ${counts.posts}`;
    },
  ),
  command(
    proofs,
    {
      command: "recount-post <postId>",
      description: "Set a post's like and comment counts from its rows; audited",
    },
    async (b, a, p) => {
      const counts = await callAsOperator(b, p, "admin.recountPost", { id: textArg(a, "postId") });
      return `likes ${counts.likes}, comments ${counts.comments}`;
    },
  ),
  command(
    proofs,
    {
      command: "rebuild-timeline <user>",
      description: "Write an account's home timeline back from whom it follows; audited",
    },
    async (b, a, p) => {
      const done = await callAsOperator(b, p, "admin.rebuildTimeline", { user: textArg(a, "user") });
      return `${done.entries} entries from ${done.authors} account(s)`;
    },
  ),
  command(
    proofs,
    {
      command: "backfill-activity",
      description:
        "List every like and comment under its user and every save under its post (those made before the lists existed); audited",
    },
    async (b, _a, p) => {
      const done = await callAsOperator(b, p, "admin.backfillActivity", {});
      return `${done.likes} like(s), ${done.comments} comment(s) and ${done.saves} save(s) listed`;
    },
  ),
  command(
    proofs,
    {
      command: "erase-due",
      description:
        "Erase now the deleted accounts whose grace period is over (users nodes do it every minute); audited",
    },
    async (b, _a, p) => {
      const done = await callAsOperator(b, p, "admin.eraseDue", {});
      return `${done.erased} account(s) erased`;
    },
  ),
  command(
    proofs,
    {
      command: "transcode-failed",
      description: "Media whose transcoding failed for good, most recent first",
      options: [{ option: "--limit <n>", description: "how many, 1 to 500; 100 by default" }],
    },
    async (b, a, p) => {
      const limit = optionOf(a, "limit");
      const { items } = await callAsOperator(b, p, "admin.failedTranscodes", {
        ...(limit !== undefined && { limit: Number(limit) }),
      });
      if (items.length === 0) return "no failed transcode job";
      return items
        .map((job) => `${job.failedAt}  ${job.kind} ${job.mediaId} of ${job.ownerId}: ${job.reason}`)
        .join("\n");
    },
  ),
  command(
    proofs,
    {
      command: "transcode-retry <mediaId>",
      description: "Send a failed media to the transcoders again; audited",
    },
    async (b, a, p) => {
      const media = await callAsOperator(b, p, "admin.retryTranscode", { mediaId: textArg(a, "mediaId") });
      return `media ${media.id} is ${media.status} again`;
    },
  ),
  command(
    proofs,
    {
      command: "drain <nodeId>",
      description: "Stop a node gracefully, as SIGTERM does (see `nodes` for the ids); audited",
    },
    async (b, a, p) => {
      const { nodeId } = await callAsOperator(b, p, "admin.drainNode", { nodeId: textArg(a, "nodeId") });
      return `node ${nodeId} is draining`;
    },
  ),
];
