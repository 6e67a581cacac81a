import { expect } from "chai";
import { Errors } from "moleculer";
import { api, signup, startTestNode, type TestNode } from "../support/test-node";
import { createPost } from "../support/media";

/**
 * Anyone on the cluster's transporter (a REPL: `call posts.delete --id 1 --#user.userId 42`) reaches the same
 * actions the gateway does. A caller they write into the meta themselves must be refused; the one the gateway
 * authenticated from a token must keep working, through every call its request makes.
 */
describe("a caller forged in meta.user", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(() => t.stop());

  it("cannot delete someone's post through the broker, as a REPL would", async () => {
    const ada = await signup(t.url);
    const post = await createPost(t.url, ada);
    // Ada's own id and a session id of the right shape: all a forger needs to know.
    const meta = { user: { userId: ada.user.id, sessionId: "1" } };
    const refused = await t.node.broker.call("posts.delete", { id: post.id }, { meta }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused, "the forged delete was carried out").to.be.instanceOf(Errors.MoleculerError);
    expect((refused as Errors.MoleculerError).code).to.equal(401);
    expect((refused as Errors.MoleculerError).type).to.equal("UNPROVEN_CALLER");
    const still = await api(t.url, "GET", `/api/posts/${post.id}`, { token: ada.token });
    expect(still.status).to.equal(200);
  });

  it("cannot read someone's notifications or feed either", async () => {
    const ada = await signup(t.url);
    const meta = { user: { userId: ada.user.id, sessionId: "1" } };
    for (const action of ["inbox.notifications", "timeline.feed", "users.me"]) {
      const refused = await t.node.broker.call(action, {}, { meta }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect((refused as Errors.MoleculerError | undefined)?.type, action).to.equal("UNPROVEN_CALLER");
    }
  });

  it("still lets the author delete the post through the gateway with a token", async () => {
    const ada = await signup(t.url);
    const post = await createPost(t.url, ada);
    // Reads across services (the feed reads posts and media with the caller) keep the gateway's proof.
    expect((await api(t.url, "GET", "/api/feed", { token: ada.token })).status).to.equal(200);
    const deleted = await api(t.url, "DELETE", `/api/posts/${post.id}`, { token: ada.token });
    expect(deleted.status, deleted.text).to.equal(204);
    expect((await api(t.url, "GET", `/api/posts/${post.id}`, { token: ada.token })).status).to.equal(404);
  });

  it("still refuses another user's delete through the gateway as before (403)", async () => {
    const ada = await signup(t.url);
    const bob = await signup(t.url);
    const post = await createPost(t.url, ada);
    const refused = await api(t.url, "DELETE", `/api/posts/${post.id}`, { token: bob.token });
    expect(refused.status).to.equal(403);
  });
});
