import type { BrokerOptions, Context, ServiceBroker } from "moleculer";
import { call } from "./calls";

type ReplCommand = NonNullable<NonNullable<BrokerOptions["replOptions"]>["customCommands"]>[number];

/** moleculer-repl passes the parsed arguments as an object by name; Moleculer's typings say string[]. */
function argsOf(args: unknown): Record<string, unknown> {
  return typeof args === "object" && args !== null ? (args as Record<string, unknown>) : {};
}

/** `<actor>-owner <user>`: which node the Owner strategy gives a user's actor to, as every node computes it. */
function ownerCommand(actor: "timeline" | "inbox", action: string): ReplCommand {
  return {
    command: `${actor}-owner <user>`,
    description: `Which node owns a user's ${actor} (a user id or a username)`,
    async action(broker: ServiceBroker, args: unknown) {
      const user = argsOf(args).user;
      const given = typeof user === "string" ? user : "";
      const userId = /^\d+$/.test(given) ? given : (await call(broker, "users.get", { username: given })).id;
      const probe = { params: {}, meta: { user: { userId } } } as unknown as Context;
      const endpoint = broker.findNextActionEndpoint(action, {}, probe);
      console.log(
        endpoint instanceof Error ? `no owner: ${endpoint.message}` : `user ${userId} → node ${endpoint.id}`,
      );
    },
  };
}

/**
 * Operator commands for the REPL (`npm run repl`): where a user's timeline or inbox actor lives, and how much fan-out work
 * is waiting. They ask the cluster, so they work from any node, including a REPL node hosting nothing.
 */
export const replCommands: ReplCommand[] = [
  {
    command: "search-status",
    description: "The search index: live generation, documents, jobs not applied yet, a reindex under way",
    async action(broker: ServiceBroker) {
      const status = await call(broker, "search.status", {});
      console.log(JSON.stringify(status, null, 2));
    },
  },
  {
    command: "search-reindex",
    description:
      "Rebuild the search index from the store into a new generation, then swap it in (resumes one under way)",
    options: [{ option: "--restart", description: "abandon a reindex under way and start again" }],
    async action(broker: ServiceBroker, args: unknown) {
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
    },
  },
  ownerCommand("timeline", "timeline.feed"),
  ownerCommand("inbox", "inbox.notifications"),
  {
    command: "fanout-backlog",
    description: "Fan-out jobs not finished yet, and the age of the oldest",
    async action(broker: ServiceBroker) {
      const backlog = await call(broker, "timeline.backlog", {});
      console.log(
        backlog.jobs === 0
          ? "no fan-out job is waiting"
          : `${backlog.jobs} fan-out job(s) waiting, the oldest for ${Math.round((backlog.oldestAgeMs ?? 0) / 1000)} s`,
      );
    },
  },
];
