import net from "node:net";

/**
 * A port nothing listens on now, as the kernel picks one. A random one could be the ephemeral port of one of this
 * process's own outgoing connections (Linux hands those out from 32768 up), and the node would not start.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address !== "object") throw new Error("no port");
  return address.port;
}

/** For ports fixed before any await: below Linux's ephemeral range, so no outgoing connection holds it. */
export function randomListenPort(): number {
  return 20_000 + Math.floor(Math.random() * 12_000);
}
