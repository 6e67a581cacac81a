import { expect } from "chai";
import { shareParams } from "../../../lib/interactions/params";
import { createWorld, rejectionOf, type World } from "./fixture";

describe("Interactions: share", function () {
  this.timeout(30_000);
  let w: World;

  beforeEach(async () => {
    w = await createWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  it("sends the post to each named user once, through the messenger", async () => {
    const [author, sender, a, b] = [await w.user(), await w.user(), await w.user(), await w.user()];
    const post = await w.post(author.id);
    const answer = await w.interactions.share(sender.id, post.id, [a.username, b.username, a.username]);
    expect(answer).to.deep.equal({ sent: 2 });
    expect(w.messenger.shared).to.deep.equal([
      { senderId: sender.id, recipientIds: [a.id, b.id], postId: post.id },
    ]);
  });

  it("refuses unknown usernames, naming them, and sends nothing", async () => {
    const [author, a, blocker] = [await w.user(), await w.user(), await w.user()];
    const post = await w.post(author.id);
    await w.graph.block(blocker.id, author.id);
    const error = await rejectionOf(
      w.interactions.share(author.id, post.id, [a.username, "no_such_user", blocker.username]),
    );
    expect([error.status, error.code]).to.deep.equal([400, "UNKNOWN_USERNAMES"]);
    expect(error.message).to.contain("no_such_user").and.contain(blocker.username);
    expect(error.message).to.not.contain(a.username);
    expect(error.details).to.deep.include({ usernames: ["no_such_user", blocker.username] });
    expect(w.messenger.shared).to.deep.equal([]);
  });

  it("404s a post the sender may not see, and refuses sharing with oneself", async () => {
    const [owner, sender, a] = [await w.user({ isPrivate: true }), await w.user(), await w.user()];
    const hidden = await w.post(owner.id);
    expect((await rejectionOf(w.interactions.share(sender.id, hidden.id, [a.username]))).status).to.equal(
      404,
    );
    const own = await w.post(sender.id);
    const self = await rejectionOf(w.interactions.share(sender.id, own.id, [sender.username, a.username]));
    expect([self.status, self.code]).to.deep.equal([400, "CANNOT_SHARE_WITH_SELF"]);
    expect(w.messenger.shared).to.deep.equal([]);
  });

  it("takes 1 to 31 usernames", () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `user${i}`);
    expect(shareParams.safeParse({ id: "1", usernames: [] }).success).to.equal(false);
    expect(shareParams.safeParse({ id: "1", usernames: names(31) }).success).to.equal(true);
    expect(shareParams.safeParse({ id: "1", usernames: names(32) }).success).to.equal(false);
    expect(shareParams.parse({ id: "1", usernames: ["Ada.L"] }).usernames).to.deep.equal(["ada.l"]);
  });
});
