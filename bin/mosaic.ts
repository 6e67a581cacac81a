import { ConfigError, loadConfig } from "../config";
import { createNode } from "../broker/create-node";

/**
 * Starts one Mosaic node. With no configuration that is the whole service in one process, data under ./data.
 * `--repl` opens Moleculer's REPL on the node. `--console` starts a node that hosts nothing (SERVICES=none)
 * and opens the REPL on it: with TRANSPORTER set, an operator's console into a running cluster.
 */
async function main(): Promise<void> {
  const consoleOnly = process.argv.includes("--console");
  const config = loadConfig(undefined, consoleOnly ? { SERVICES: "none" } : {});
  // An operator's drain (admin.drainNode) stops the node as SIGTERM does, and the process exits.
  const node = await createNode(config, { onDrainRequested: () => shutdown("SIGTERM") });
  await node.start();
  const port = node.httpPort();
  if (port !== undefined) node.broker.logger.info(`Mosaic listening on http://${config.http.host}:${port}`);

  let firstSignalAt: number | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      // Under `npm start` one Ctrl-C reaches us twice within milliseconds (the process group, then tsx relaying
      // it): only a second signal a moment later means "stop waiting".
      if (Date.now() - firstSignalAt < 1_000) return;
      node.broker.logger.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    firstSignalAt = Date.now();
    // Not ready first (load balancers take the node out over DRAIN_SECONDS while it still serves), then no new
    // connections, in-flight requests finished (up to SHUTDOWN_GRACE_MS), streams told to reconnect, the
    // cluster left.
    node.broker.logger.info(`${signal}: draining, then finishing in-flight requests, then stopping`);
    node
      .drain()
      .then(() => node.stop())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          node.broker.logger.error("shutdown failed", err);
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);

  if (consoleOnly || process.argv.includes("--repl")) node.broker.repl();
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `mosaic: could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
