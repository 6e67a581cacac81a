import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { randomListenPort } from "../support/free-port";
import { ServiceBroker, type Context } from "moleculer";
import { NodeProcesses } from "../support/node-processes";
import { registerOwnerStrategy } from "../../broker/owner-strategy";
import { api, signup } from "../support/test-node";
import { dropTestKeyspace } from "../support/cassandra";
import { upApartFromActions } from "../support/readiness";
import { openStream, type OpenStream } from "../support/sse";

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
/** api.md: "A notification or message reaches an open stream within 1 s." */
const DELIVERY_BOUND_MS = 1_000;

interface MessageData {
  id: string;
  text?: string;
}

/**
 * Four node processes over the real NATS, sharing Cassandra: two gateway nodes and two inbox nodes. The
 * recipient listens on one gateway, the sender writes through the other, and the recipient's inbox owner is
 * a third node; then that owner is SIGKILLed and the survivor must take over the recipient's inbox.
 */
describe("two gateway nodes over NATS: streams across them, and a logout seen by both", function () {
  this.timeout(300_000);
  const namespace = `sse-${process.pid}-${Date.now().toString(36)}`;
  const keyspace = `mosaic_sse_${Date.now().toString(36)}`;
  let dataDir: string;
  let probe: ServiceBroker;
  let stream: OpenStream | undefined;
  const ports = [0, 1].map(() => String(randomListenPort()));
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);

  const cluster = new NodeProcesses(() => ({
    TRANSPORTER: NATS_URL,
    NAMESPACE: namespace,
    STORE: "cassandra",
    CASSANDRA_KEYSPACE: keyspace,
    JWT_SECRET: "stream-cluster-secret-".padEnd(48, "x"),
    DATA_DIR: dataDir,
    RATE_LIMITS: "off",
    LOG_LEVEL: "warn",
    CHECK_RESULTS: "on",
  }));
  const procs = cluster.procs;
  const start = (name: string, env: Record<string, string>) => cluster.start(name, env);

  const waitFor = (check: () => Promise<boolean> | boolean, ms: number, what: string) =>
    cluster.waitFor(check, ms, what);

  /** The node the Owner strategy gives a user's inbox to, as every node of the ring computes it. */
  function inboxOwnerOf(userId: string): string | undefined {
    const ctx = { params: {}, meta: { user: { userId } } } as unknown as Context;
    const endpoint = probe.findNextActionEndpoint("inbox.notifications", {}, ctx);
    return endpoint instanceof Error ? undefined : endpoint.id;
  }

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-sse-"));
    // The first node creates the keyspace and its tables before the others race to.
    start("gw1", {
      SERVICES: "gateway,users,graph,posts,media,transcoder,timeline,search,discovery",
      WORKER_ID: "1",
      PORT: ports[0]!,
    });
    // Nobody hosts interactions or stories here, so no gateway is fully ready: wait for what each node hosts.
    const ready = (url: string) => upApartFromActions(url);
    await waitFor(() => ready(urls[0]!), 120_000, "the first gateway node");
    start("gw2", { SERVICES: "gateway,users", WORKER_ID: "2", PORT: ports[1]! });
    start("inbox1", { SERVICES: "inbox", WORKER_ID: "3", PORT: "0" });
    start("inbox2", { SERVICES: "inbox", WORKER_ID: "4", PORT: "0" });
    // The probe computes owners as the nodes do; run alone, nothing else in this process registered the strategy.
    registerOwnerStrategy();
    probe = new ServiceBroker({
      namespace,
      nodeID: `${namespace}-probe`,
      transporter: { type: "NATS", options: { url: NATS_URL } },
      logger: false,
      registry: { strategy: "RoundRobin", preferLocal: false },
    });
    await probe.start();
    await waitFor(() => ready(urls[1]!), 120_000, "the second gateway node");
    await waitFor(
      () =>
        probe.registry
          .getServiceList({ onlyAvailable: true })
          .filter((s: { name: string }) => s.name === "inbox").length === 2,
      120_000,
      "both inbox nodes",
    );
  });

  after(async () => {
    stream?.close();
    await probe?.stop();
    await cluster.stopAll(10_000);
    await dropTestKeyspace(keyspace);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("delivers within 1 s, also after the recipient's inbox owner is killed and another takes over", async () => {
    const recipient = await signup(urls[0]!);
    const sender = await signup(urls[1]!);
    const owner = inboxOwnerOf(recipient.user.id);
    expect(owner, "some inbox node owns the recipient").to.match(/-inbox[12]$/);

    stream = await openStream(urls[0]!, { token: recipient.token });
    expect(stream.status).to.equal(200);
    const conversation = await api<{ id: string }>(urls[1]!, "POST", "/api/conversations", {
      token: sender.token,
      body: { usernames: [recipient.username] },
    });
    expect(conversation.status, conversation.text).to.equal(201);

    /** Milliseconds from the moment the send was made to the event on the other gateway's stream. */
    const send = async (text: string) => {
      const startedAt = Date.now();
      const sent = await api<MessageData>(
        urls[1]!,
        "POST",
        `/api/conversations/${conversation.body.id}/messages`,
        {
          token: sender.token,
          body: { text },
        },
      );
      expect(sent.status, sent.text).to.equal(201);
      const event = await stream!.next(
        (e) => e.event === "message" && (e.data as MessageData).id === sent.body.id,
        10_000,
      );
      expect((event.data as MessageData).text).to.equal(text);
      return event.at - startedAt;
    };

    const before = await send("before the crash");
    console.log(`      message event ${before} ms after the send was made (owner alive)`);
    expect(before, "ms from the send to the event").to.be.at.most(DELIVERY_BOUND_MS);

    const victim = procs.find((p) => owner?.endsWith(`-${p.name}`));
    expect(victim, "the owner is one of our processes").to.not.equal(undefined);
    victim!.child.kill("SIGKILL");
    await once(victim!.child, "exit");
    await waitFor(
      () => {
        const now = inboxOwnerOf(recipient.user.id);
        return now !== undefined && now !== owner;
      },
      60_000,
      "another inbox node to own the recipient",
    );
    // The gateways see the dead node go at about the same time as this probe; give them a heartbeat more.
    await new Promise((r) => setTimeout(r, 6_000));

    const after = await send("after the crash");
    console.log(`      message event ${after} ms after the send was made (after the takeover)`);
    expect(after, "ms from the send to the event").to.be.at.most(DELIVERY_BOUND_MS);
    const texts = stream.events.filter((e) => e.event === "message").map((e) => (e.data as MessageData).text);
    expect(texts).to.deep.equal(["before the crash", "after the crash"]);
  });

  it("refuses a token at once on both gateways after a logout through one, though each users node had it cached", async () => {
    const user = await signup(urls[0]!);
    // Both users nodes (one behind each gateway, calls balanced over them) take the session as live now.
    for (let i = 0; i < 8; i++) {
      const me = await api(urls[i % 2]!, "GET", "/api/me", { token: user.token });
      expect(me.status, me.text).to.equal(200);
    }
    expect((await api(urls[0]!, "POST", "/api/auth/logout", { token: user.token })).status).to.equal(204);
    const after = await Promise.all(
      Array.from({ length: 8 }, (_, i) => api(urls[i % 2]!, "GET", "/api/me", { token: user.token })),
    );
    expect(after.map((r) => r.status)).to.deep.equal(Array.from({ length: 8 }, () => 401));
  });
});
