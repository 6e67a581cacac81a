/** What Mosaic uses of the transporter's NATS connection, which Moleculer keeps in an untyped field. */
export interface NatsClient {
  rtt(): Promise<number>;
  status(): AsyncIterable<{ type: string }>;
}

/** The NATS connection of a Moleculer transporter, or undefined for another transporter (or none yet). */
export function natsClientOf(transporter: unknown): NatsClient | undefined {
  if (typeof transporter !== "object" || transporter === null || !("client" in transporter)) return undefined;
  const client = transporter.client;
  if (typeof client !== "object" || client === null || !("rtt" in client) || !("status" in client)) {
    return undefined;
  }
  return typeof client.rtt === "function" && typeof client.status === "function"
    ? (client as NatsClient)
    : undefined;
}
