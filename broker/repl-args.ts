import type { BrokerOptions, ServiceBroker } from "moleculer";
import { oneLine } from "./operator";

export type ReplCommand = NonNullable<NonNullable<BrokerOptions["replOptions"]>["customCommands"]>[number];

/** moleculer-repl passes the parsed arguments as an object by name; Moleculer's typings say string[]. */
export function argsOf(args: unknown): Record<string, unknown> {
  return typeof args === "object" && args !== null ? (args as Record<string, unknown>) : {};
}

/** An `--option <value>` of the command, as text. */
export function optionOf(args: unknown, name: string): string | undefined {
  const options = argsOf(args).options;
  if (typeof options !== "object" || options === null) return undefined;
  const value = (options as Record<string, unknown>)[name];
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

/**
 * A command whose failures are one line on the console (`no user "bob"`): moleculer-repl would log the error
 * with its stack.
 */
export function oneLineErrors(
  run: (broker: ServiceBroker, args: unknown) => Promise<void>,
): (broker: ServiceBroker, args: unknown) => Promise<void> {
  return async (broker, args) => {
    try {
      await run(broker, args);
    } catch (err: unknown) {
      console.log(oneLine(err));
    }
  };
}
