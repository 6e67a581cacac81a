import { expect } from "chai";
import { ServiceBroker, type Context } from "moleculer";
import {
  callerProofMiddleware,
  UNPROVEN_CALLER,
  UnprovenCallerError,
} from "../../../broker/middlewares/caller-proof";
import { callerOf } from "../../../broker/define-action";
import { CallerProofs, deriveCallerKey, type ProvenCaller } from "../../../lib/accounts";

describe("callerProofMiddleware", () => {
  const proofs = new CallerProofs(deriveCallerKey("k".repeat(48)));
  const ada = { userId: "101", sessionId: "201" };
  let broker: ServiceBroker;
  let ran: string[];

  before(async () => {
    broker = new ServiceBroker({ logger: false, middlewares: [callerProofMiddleware(() => proofs)] });
    const user = (ctx: Context) => (ctx.meta as { user?: ProvenCaller | null }).user;
    broker.createService({
      name: "probe",
      actions: {
        whoami(ctx: Context) {
          ran.push("whoami");
          return user(ctx)?.userId ?? "nobody";
        },
        // A service calling another with its context, as posts call media: the caller travels in the meta.
        chain(ctx: Context) {
          ran.push("chain");
          return ctx.call("probe.whoami");
        },
      },
    });
    await broker.start();
  });
  after(() => broker.stop());
  beforeEach(() => {
    ran = [];
  });

  /** The refusal of a call, or a failure when the call ran. */
  async function refusal(promise: Promise<unknown>): Promise<UnprovenCallerError> {
    const outcome = await promise.then(
      (value) => ({ value }),
      (err: unknown) => ({ err }),
    );
    if (!("err" in outcome)) throw new Error(`the call ran and answered ${JSON.stringify(outcome.value)}`);
    expect(outcome.err).to.be.instanceOf(UnprovenCallerError);
    return outcome.err as UnprovenCallerError;
  }

  it("runs a call whose caller was proven for its request, and the calls it makes", async () => {
    const requestID = "req-gateway-1";
    const meta = { user: { ...ada, proof: proofs.sign(ada, requestID) } };
    expect(await broker.call("probe.whoami", {}, { meta, requestID })).to.equal("101");
    expect(await broker.call("probe.chain", {}, { meta, requestID })).to.equal("101");
    expect(ran).to.deep.equal(["whoami", "chain", "whoami"]);
  });

  it("refuses a forged meta.user before the action runs, in one line", async () => {
    const err = await refusal(broker.call("probe.whoami", {}, { meta: { user: ada } }));
    expect(err.code).to.equal(401);
    expect(err.type).to.equal(UNPROVEN_CALLER);
    expect(err.stack).to.not.include("\n");
    expect(ran).to.deep.equal([]);
  });

  it("refuses a proof replayed with another request", async () => {
    const meta = { user: { ...ada, proof: proofs.sign(ada, "req-gateway-1") } };
    await refusal(broker.call("probe.whoami", {}, { meta, requestID: "req-repl-2" }));
    await refusal(broker.call("probe.whoami", {}, { meta }));
    expect(ran).to.deep.equal([]);
  });

  it("refuses a proven caller whose user id was changed", async () => {
    const requestID = "req-gateway-3";
    const meta = { user: { ...ada, userId: "102", proof: proofs.sign(ada, requestID) } };
    await refusal(broker.call("probe.whoami", {}, { meta, requestID }));
    expect(ran).to.deep.equal([]);
  });

  it("lets calls without a caller through (actions that need one answer 401 themselves)", async () => {
    expect(await broker.call("probe.whoami", {})).to.equal("nobody");
    expect(await broker.call("probe.whoami", {}, { meta: { user: null } })).to.equal("nobody");
  });

  it("refuses every caller on a node that holds no key", async () => {
    const keyless = new ServiceBroker({
      logger: false,
      nodeID: "keyless",
      middlewares: [callerProofMiddleware(() => undefined)],
    });
    keyless.createService({ name: "probe", actions: { whoami: () => "ran" } });
    await keyless.start();
    try {
      const requestID = "req-4";
      const meta = { user: { ...ada, proof: proofs.sign(ada, requestID) } };
      await refusal(keyless.call("probe.whoami", {}, { meta, requestID }));
    } finally {
      await keyless.stop();
    }
  });

  it("hands handlers the caller without its proof, which must not ride along into params or rows", () => {
    // users.logout passes the caller on as users.forgetSession's params, which take no other field.
    const ctx = { meta: { user: { ...ada, proof: proofs.sign(ada, "r") } } } as unknown as Context;
    expect(callerOf(ctx)).to.deep.equal(ada);
  });
  describe("a caller vouched for in this process", () => {
    it("runs local calls, and the calls they make, without a proof", async () => {
      const requestID = "req-vouched-1";
      const meta = { user: proofs.vouch(ada, requestID) };
      expect(await broker.call("probe.chain", {}, { meta, requestID })).to.equal("101");
      await refusal(broker.call("probe.whoami", {}, { meta, requestID: "req-vouched-2" }));
      expect(ran).to.deep.equal(["chain", "whoami"]);
    });

    it("reaches another node with a proof signed as the call leaves", async () => {
      const transporter = `Fake`;
      const namespace = `vouch-${process.pid}`;
      const here = new ServiceBroker({
        logger: false,
        nodeID: "here",
        namespace,
        transporter,
        middlewares: [callerProofMiddleware(() => proofs)],
      });
      // The other node has the same key in a CallerProofs of its own, as every node derives it.
      const there = new ServiceBroker({
        logger: false,
        nodeID: "there",
        namespace,
        transporter,
        middlewares: [callerProofMiddleware(() => new CallerProofs(deriveCallerKey("k".repeat(48))))],
      });
      there.createService({
        name: "remote",
        actions: {
          whoami: (ctx: Context) => (ctx.meta as { user?: ProvenCaller }).user?.userId ?? "nobody",
        },
      });
      await Promise.all([here.start(), there.start()]);
      try {
        await here.waitForServices("remote");
        const requestID = "req-vouched-3";
        const meta = { user: proofs.vouch(ada, requestID) };
        expect(await here.call("remote.whoami", {}, { meta, requestID })).to.equal("101");
        // The same caller sent as plain data, as a forger on the transporter would, is refused there.
        const err = await here.call("remote.whoami", {}, { meta: { user: { ...ada } }, requestID }).then(
          (value) => ({ ran: value }),
          (e: unknown) => e as { type?: string },
        );
        expect(err).to.have.property("type", UNPROVEN_CALLER);
      } finally {
        await Promise.all([here.stop(), there.stop()]);
      }
    });
  });
});
