import type { Context, ServiceBroker } from "moleculer";
import { call } from "./calls";
import { actAs, ConsoleUsageError, lookUpUser, oneLine, operatorOf, parseParams } from "./operator";
import { argsOf, oneLineErrors, optionOf, type ReplCommand } from "./repl-args";
import type { CallerProofs } from "../lib/accounts";
import { parseAuditDay } from "../lib/audit";
import { adminCommands } from "./admin-commands";

/** `<actor>-owner <user>`: which node the Owner strategy gives a user's actor to, as every node computes it. */
function ownerCommand(actor: "timeline" | "inbox", action: string): ReplCommand {
  return {
    command: `${actor}-owner <user>`,
    description: `Which node owns a user's ${actor} (a user id or a username)`,
    action: oneLineErrors(async (broker: ServiceBroker, args: unknown) => {
      const user = argsOf(args).user;
      const { id: userId } = await lookUpUser(broker, typeof user === "string" ? user : "");
      const probe = { params: {}, meta: { user: { userId } } } as unknown as Context;
      const endpoint = broker.findNextActionEndpoint(action, {}, probe);
      console.log(
        endpoint instanceof Error ? `no owner: ${endpoint.message}` : `user ${userId} → node ${endpoint.id}`,
      );
    }),
  };
}

/** `act-as <user> <action> [params]`: calls one action as a user, audited (broker/operator.ts). */
function actAsCommand(proofs: () => CallerProofs | undefined): ReplCommand {
  return {
    command: "act-as <user> <action> [params]",
    description:
      'Call an action as a user (a username or an id), recorded in the audit log; params as quoted JSON: \'{"id":"1"}\'',
    action: oneLineErrors(async (broker, args) => {
      const { user, action, params } = argsOf(args);
      const outcome = await actAs(broker, proofs(), {
        user: String(user),
        action: String(action),
        params: parseParams(params),
        operator: operatorOf(broker),
      });
      const as = `as ${outcome.audit.targetUser}, audit ${outcome.audit.id}`;
      if (outcome.error) console.log(`${oneLine(outcome.error)} (${as})`);
      else console.log(`ok (${as})\n${JSON.stringify(outcome.result, null, 2) ?? ""}`);
    }),
  };
}

const auditCommand: ReplCommand = {
  command: "audit",
  description: "The audit log of operators' commands: one UTC day, newest first",
  options: [
    { option: "--day <day>", description: "the day, YYYY-MM-DD (UTC); today by default" },
    { option: "--limit <n>", description: "how many rows, 1 to 1000; 20 by default" },
  ],
  action: oneLineErrors(async (broker, args) => {
    const dayText = optionOf(args, "day");
    const limitText = optionOf(args, "limit");
    const day = dayText === undefined ? undefined : parseAuditDay(dayText);
    if (dayText !== undefined && day === undefined)
      throw new ConsoleUsageError(`--day ${dayText}: not YYYY-MM-DD`);
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 1000)) {
      throw new ConsoleUsageError(`--limit ${limitText}: a whole number from 1 to 1000`);
    }
    const { rows } = await call(broker, "users.auditLog", {
      ...(day !== undefined && { day }),
      ...(limit !== undefined && { limit }),
    });
    if (rows.length === 0) console.log("no audit rows that day");
    for (const row of rows) {
      console.log(
        `${row.at}  ${row.operator}  ${row.command} ${row.targetUser} ${row.action} ${row.params}  → ${row.outcome}`,
      );
    }
  }),
};

/**
 * Operator commands for the REPL (`npm run repl`): where a user's timeline or inbox actor lives, how much fan-out
 * work is waiting, acting as a user (audited) and reading the audit log. They ask the cluster, so they work from any
 * node, including a REPL node hosting nothing. `proofs` signs act-as's caller (absent without the token key).
 */
export const replCommands = (proofs: () => CallerProofs | undefined): ReplCommand[] => [
  {
    command: "search-status",
    description: "The search index: live generation, documents, jobs not applied yet, a reindex under way",
    action: oneLineErrors(async (broker: ServiceBroker) => {
      const status = await call(broker, "search.status", {});
      console.log(JSON.stringify(status, null, 2));
    }),
  },
  {
    command: "search-reindex",
    description:
      "Rebuild the search index from the store into a new generation, then swap it in (resumes one under way)",
    options: [{ option: "--restart", description: "abandon a reindex under way and start again" }],
    action: oneLineErrors(async (broker: ServiceBroker, args: unknown) => {
      const options = argsOf(args).options;
      const restart = typeof options === "object" && options !== null && "restart" in options;
      let progress = await call(broker, "search.reindex", { restart });
      console.log(`reindexing into ${progress.generation}: ${progress.done} accounts done`);
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        const status = await call(broker, "search.status", {});
        if (status.reindex === null) {
          console.log(`done: ${status.generation} is live (${JSON.stringify(status.documents)})`);
          return;
        }
        progress = status.reindex;
        console.log(`${progress.done} accounts done`);
      }
    }),
  },
  ownerCommand("timeline", "timeline.feed"),
  ownerCommand("inbox", "inbox.notifications"),
  actAsCommand(proofs),
  auditCommand,
  ...adminCommands(proofs),
  {
    command: "fanout-backlog",
    description: "Fan-out jobs not finished yet, and the age of the oldest",
    action: oneLineErrors(async (broker: ServiceBroker) => {
      const backlog = await call(broker, "timeline.backlog", {});
      console.log(
        backlog.jobs === 0
          ? "no fan-out job is waiting"
          : `${backlog.jobs} fan-out job(s) waiting, the oldest for ${Math.round((backlog.oldestAgeMs ?? 0) / 1000)} s`,
      );
    }),
  },
];
