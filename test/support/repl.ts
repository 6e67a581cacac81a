import type { BrokerOptions, ServiceBroker } from "moleculer";

type ReplCommand = NonNullable<NonNullable<BrokerOptions["replOptions"]>["customCommands"]>[number];

/** What a REPL command printed, line by line, when run on `broker` with moleculer-repl's parsed `args`. */
export async function printed(command: ReplCommand, broker: ServiceBroker, args: unknown): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => lines.push(parts.map(String).join(" "));
  try {
    await (command.action as (b: ServiceBroker, a: unknown) => Promise<void>)(broker, args);
  } finally {
    console.log = log;
  }
  return lines.flatMap((line) => line.split("\n"));
}
