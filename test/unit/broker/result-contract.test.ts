import { expect } from "chai";
import { Errors, ServiceBroker } from "moleculer";
import { ParamsValidatorMiddleware } from "../../../broker/middlewares/params-validator";
import { ResultContractMiddleware } from "../../../broker/middlewares/result-contract";
import { defineActions } from "../../../broker/define-action";

const me = {
  id: "1",
  username: "ada",
  displayName: "Ada",
  bio: "",
  avatarUrl: null,
  isPrivate: false,
  createdAt: new Date(0).toISOString(),
  counts: { followers: 0, following: 0, posts: 0 },
};

describe("ResultContractMiddleware", () => {
  let broker: ServiceBroker;
  let answer: unknown;
  before(async () => {
    broker = new ServiceBroker({
      logger: false,
      validator: false,
      middlewares: [ParamsValidatorMiddleware, ResultContractMiddleware],
    });
    // Answers whatever the test sets, whatever the contract says: the middleware is what is under test.
    const cheat = () => Promise.resolve(answer as typeof me);
    broker.createService({
      name: "users",
      actions: defineActions("users", {
        me: { handler: cheat },
        signup: { handler: () => Promise.reject(new Error("unused")) },
        login: { handler: () => Promise.reject(new Error("unused")) },
        logout: { handler: () => Promise.resolve(answer as undefined) },
        updateMe: { handler: cheat },
        get: { handler: cheat },
        authenticate: { handler: () => Promise.resolve({ userId: "1", sessionId: "s", proof: "p" }) },
        forgetSession: { handler: () => Promise.resolve() },
        recordAudit: { handler: () => Promise.reject(new Error("unused")) },
        auditLog: { handler: () => Promise.reject(new Error("unused")) },
        sessions: { handler: () => Promise.reject(new Error("unused")) },
        endSession: { handler: () => Promise.reject(new Error("unused")) },
        endOtherSessions: { handler: () => Promise.reject(new Error("unused")) },
        changePassword: { handler: () => Promise.reject(new Error("unused")) },
        requestPasswordReset: { handler: () => Promise.reject(new Error("unused")) },
        confirmPasswordReset: { handler: () => Promise.reject(new Error("unused")) },
        verifyEmail: { handler: () => Promise.reject(new Error("unused")) },
        resendVerification: { handler: () => Promise.reject(new Error("unused")) },
        deleteMe: { handler: () => Promise.reject(new Error("unused")) },
        erase: { handler: () => Promise.reject(new Error("unused")) },
        eraseDue: { handler: () => Promise.reject(new Error("unused")) },
      }),
    });
    await broker.start();
  });
  after(() => broker.stop());

  const failure = async (action: string) => {
    try {
      await broker.call(action, {});
    } catch (err: unknown) {
      return err;
    }
    return undefined;
  };

  it("passes an answer its contract describes", async () => {
    answer = me;
    expect(await broker.call("users.me", {})).to.deep.equal(me);
    answer = {
      ...me,
      relationship: { following: true, followedBy: false, requested: false, blocking: false },
    };
    expect(await broker.call("users.me", {})).to.deep.equal(answer);
  });

  it("fails an answer with a field missing or of the wrong type, naming the field", async () => {
    const { bio: _bio, ...withoutBio } = me;
    answer = withoutBio;
    const err = await failure("users.me");
    expect(err).to.be.instanceOf(Errors.MoleculerError);
    expect((err as Errors.MoleculerError).type).to.equal("RESULT_CONTRACT");
    expect(JSON.stringify((err as Errors.MoleculerError).data)).to.include("bio");
    answer = { ...me, counts: { followers: "many", following: 0, posts: 0 } };
    expect(((await failure("users.me")) as Errors.MoleculerError).type).to.equal("RESULT_CONTRACT");
  });

  it("fails an answer with a field the contract does not list, nested ones too", async () => {
    answer = { ...me, passwordHash: "x" };
    expect(((await failure("users.me")) as Errors.MoleculerError).type).to.equal("RESULT_CONTRACT");
    answer = { ...me, counts: { ...me.counts, secret: 1 } };
    expect(((await failure("users.me")) as Errors.MoleculerError).type).to.equal("RESULT_CONTRACT");
  });

  it("fails an answer where the contract says there is none, and passes none", async () => {
    answer = me;
    expect(((await failure("users.logout")) as Errors.MoleculerError).type).to.equal("RESULT_CONTRACT");
    answer = undefined;
    expect(await broker.call("users.logout", {})).to.equal(undefined);
  });
});
