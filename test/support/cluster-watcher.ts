import { ServiceBroker, type Context } from "moleculer";
import { registerOwnerStrategy } from "../../broker/owner-strategy";

export interface NodeLeft {
  id: string;
  /** False when the node said it was leaving (DISCONNECT); true when the others found it silent. */
  unexpected: boolean;
}

/** A Moleculer node of the test's own in the cluster: who left and how, and who owns a user's inbox. */
export class ClusterWatcher {
  readonly left: NodeLeft[] = [];
  private broker: ServiceBroker | undefined;

  constructor(
    private readonly namespace: string,
    private readonly natsUrl: string,
  ) {}

  async start(): Promise<void> {
    // Run alone, nothing else in this process registered the strategy the nodes route inboxes with.
    registerOwnerStrategy();
    this.broker = new ServiceBroker({
      namespace: this.namespace,
      nodeID: `${this.namespace}-watcher`,
      transporter: { type: "NATS", options: { url: this.natsUrl } },
      logger: false,
      registry: { strategy: "RoundRobin", preferLocal: false },
      // The nodes' own heartbeat settings (moleculer.config.ts), so that they do not take this one for dead.
      heartbeatInterval: 1,
      heartbeatTimeout: 4,
    });
    this.broker.localBus.on("$node.disconnected", (payload: { node: { id: string }; unexpected: boolean }) =>
      this.left.push({ id: payload.node.id, unexpected: payload.unexpected }),
    );
    await this.broker.start();
  }

  async stop(): Promise<void> {
    await this.broker?.stop();
  }

  hosts(service: string): number {
    return (this.broker?.registry.getServiceList({ onlyAvailable: true }) ?? []).filter(
      (s: { name: string }) => s.name === service,
    ).length;
  }

  /** The node the Owner strategy gives a user's inbox to, as every node of the ring computes it. */
  inboxOwnerOf(userId: string): string | undefined {
    const ctx = { params: {}, meta: { user: { userId } } } as unknown as Context;
    const endpoint = this.broker?.findNextActionEndpoint("inbox.notifications", {}, ctx);
    return endpoint === undefined || endpoint instanceof Error ? undefined : endpoint.id;
  }
}
