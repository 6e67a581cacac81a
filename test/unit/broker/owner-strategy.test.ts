import { EventEmitter } from "node:events";
import { expect } from "chai";
import { Strategies, type Context, type Endpoint, type Registry, type ServiceBroker } from "moleculer";
import { OwnerRing, OwnerStrategy, ownerAmong } from "../../../broker/owner-strategy";

/** The parts of an action endpoint the strategies read; `state` is what an open circuit breaker sets false. */
interface FakeEndpoint {
  id: string;
  state: boolean;
  readonly isAvailable: boolean;
  action: { name: string };
}

function endpoint(id: string): FakeEndpoint {
  return {
    id,
    state: true,
    get isAvailable() {
      return this.state;
    },
    action: { name: "timeline.feed" },
  };
}

/** A registry and broker with just what the strategies use: the action's endpoints and the local bus. */
function cluster(ids: readonly string[]) {
  const endpoints = ids.map(endpoint);
  const localBus = new EventEmitter();
  const registry = { getActionEndpoints: () => ({ endpoints }) } as unknown as Registry;
  const broker = { localBus } as unknown as ServiceBroker;
  // What EndpointList.next hands a strategy: only the endpoints whose circuit is closed.
  const available = () => endpoints.filter((ep) => ep.isAvailable) as unknown as Endpoint[];
  return { endpoints, registry, broker, localBus, available };
}

const ctxFor = (userId: string) => ({ params: {}, meta: { user: { userId } } }) as unknown as Context;
const USERS = Array.from({ length: 300 }, (_, i) => String(1_000_000 + i));

describe("OwnerStrategy", () => {
  it("shows why Moleculer's Shard strategy was replaced: one caller's ring leaves out a node for good", () => {
    const opts = { shardKey: "#user.userId" };
    // Two callers (a gateway and a fan-out node) see the same three timeline nodes.
    const a = cluster(["t1", "t2", "t3"]);
    const b = cluster(["t1", "t2", "t3"]);
    const shardA = new Strategies.Shard(a.registry, a.broker, opts);
    const shardB = new Strategies.Shard(b.registry, b.broker, opts);
    // On caller A, t2's circuit is open at the first call after a node event (its node was just killed).
    a.localBus.emit("$node.disconnected");
    const t2 = a.endpoints[1];
    if (t2 === undefined) throw new Error("no t2");
    t2.state = false;
    shardA.select(a.available(), ctxFor(USERS[0] ?? ""));
    t2.state = true;
    // t2 is back and nothing else happens: A still never routes to t2, while B does.
    const owners = (shard: InstanceType<typeof Strategies.Shard>, c: ReturnType<typeof cluster>) =>
      USERS.map((u) => shard.select(c.available(), ctxFor(u))?.id);
    const byA = owners(shardA, a);
    const byB = owners(shardB, b);
    expect(byA).to.not.include("t2");
    expect(byB).to.include("t2");
    expect(byA.filter((owner, i) => owner !== byB[i]).length).to.be.greaterThan(0);
  });

  it("gives every caller that sees the same nodes the same owner, whatever their circuits said meanwhile", () => {
    const opts = { shardKey: "#user.userId" };
    const a = cluster(["t1", "t2", "t3"]);
    const b = cluster(["t3", "t1", "t2"]);
    const ownerA = new OwnerStrategy(a.registry, a.broker, opts);
    const ownerB = new OwnerStrategy(b.registry, b.broker, opts);
    const t2 = a.endpoints[1];
    if (t2 === undefined) throw new Error("no t2");
    t2.state = false;
    const whileOpen = USERS.map((u) => ownerA.select(a.available(), ctxFor(u))?.id);
    // The owner's circuit is open: no endpoint, so the call fails as retryable instead of moving the user.
    expect(whileOpen).to.include(undefined);
    expect(whileOpen).to.not.include("t2");
    t2.state = true;
    const byA = USERS.map((u) => ownerA.select(a.available(), ctxFor(u))?.id);
    const byB = USERS.map((u) => ownerB.select(b.available(), ctxFor(u))?.id);
    expect(byA).to.deep.equal(byB);
    expect(byA).to.deep.equal(USERS.map((u) => ownerAmong(["t1", "t2", "t3"], u)));
    // Every user that had no endpoint while t2's circuit was open is t2's.
    whileOpen.forEach((owner, i) => {
      if (owner === undefined) expect(byA[i]).to.equal("t2");
      else expect(owner).to.equal(byA[i]);
    });
    for (const node of ["t1", "t2", "t3"]) expect(byA).to.include(node);
  });

  it("moves only the leaving node's users when the ring changes", () => {
    const before = USERS.map((u) => ownerAmong(["t1", "t2", "t3"], u));
    const after = USERS.map((u) => ownerAmong(["t1", "t3"], u));
    before.forEach((owner, i) => {
      if (owner !== "t2") expect(after[i]).to.equal(owner);
      else expect(after[i]).to.be.oneOf(["t1", "t3"]);
    });
  });

  it("routes by a param when the key names one, and anywhere when there is no key", () => {
    const c = cluster(["t1", "t2"]);
    const byParam = new OwnerStrategy(c.registry, c.broker, { shardKey: "userId" });
    const ctx = { params: { userId: "42" }, meta: {} } as unknown as Context;
    expect(byParam.select(c.available(), ctx).id).to.equal(ownerAmong(["t1", "t2"], "42"));
    const none = { params: {}, meta: {} } as unknown as Context;
    expect(["t1", "t2"]).to.include(byParam.select(c.available(), none).id);
  });
});

describe("OwnerRing", () => {
  it("reports a change of the hosting nodes only, not of other nodes", () => {
    const endpoints = [endpoint("t1"), endpoint("t2")];
    const registry = { getActionEndpoints: () => ({ endpoints }) };
    const ring = new OwnerRing({ registry } as unknown as ServiceBroker, "timeline.feed");
    expect(ring.changed()).to.equal(false);
    expect(ring.changed()).to.equal(false);
    endpoints.push(endpoint("t3"));
    expect(ring.changed()).to.equal(true);
    expect(ring.changed()).to.equal(false);
    endpoints.splice(0, 1);
    expect(ring.changed()).to.equal(true);
  });
});
