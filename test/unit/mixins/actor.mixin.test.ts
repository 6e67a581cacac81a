import { expect } from "chai";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { OWNER_STRATEGY } from "../../../broker/owner-strategy";
import { actor, byCaller, byParam } from "../../../mixins/actor.mixin";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds or 3 s have gone by; the registry learns of other nodes asynchronously. */
async function eventually(check: () => boolean): Promise<boolean> {
  for (let waited = 0; waited < 3_000; waited += 20) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

function actorService(forgotten: { count: number }): ServiceSchema {
  return {
    name: "diary",
    mixins: [actor({ ringAction: "diary.read", forgetAll: () => forgotten.count++ })],
    actions: { read: { ...byCaller, handler: () => "ok" } },
  };
}

describe("actor mixin", () => {
  it("routes by the caller or by a user id param, with the Owner strategy", () => {
    expect(byCaller).to.deep.equal({
      strategy: OWNER_STRATEGY,
      strategyOptions: { shardKey: "#user.userId" },
    });
    expect(byParam("userId").strategyOptions.shardKey).to.equal("userId");
  });

  it("forgets everything on joining a cluster, and again each time the ring of owners changes", async () => {
    const namespace = `actor-${process.pid}-${Date.now()}`;
    const brokerOf = (nodeID: string) =>
      new ServiceBroker({ nodeID, namespace, transporter: "Fake", logger: false, heartbeatInterval: 1 });
    const first = { count: 0 };
    const second = { count: 0 };
    const a = brokerOf("a");
    const b = brokerOf("b");
    a.createService(actorService(first));
    b.createService(actorService(second));
    try {
      await a.start();
      // Joining: callers that have not seen this node yet still route its users elsewhere.
      expect(first.count).to.equal(1);

      await b.start();
      expect(second.count).to.equal(1);
      expect(await eventually(() => first.count === 2), "a forgets once b owns part of the ring").to.equal(
        true,
      );

      await b.stop();
      expect(await eventually(() => first.count === 3), "a forgets once b left the ring").to.equal(true);
    } finally {
      await b.stop();
      await a.stop();
    }
  });

  it("keeps its memory while the ring stays the same, and on a node without a transporter", async () => {
    const forgotten = { count: 0 };
    const broker = new ServiceBroker({ logger: false });
    broker.createService(actorService(forgotten));
    broker.createService({ name: "other", actions: { ping: () => "pong" } });
    await broker.start();
    try {
      await broker.call("other.ping");
      await broker.broadcastLocal("$services.changed", { localService: true });
      await sleep(20);
      expect(forgotten.count).to.equal(0);
    } finally {
      await broker.stop();
    }
  });
});
