import { expect } from "chai";
import { actAs, UnknownUserError } from "../../broker/operator";
import { replCommands } from "../../broker/repl-commands";
import { call } from "../../broker/calls";
import { api, signup, startTestNode, uniqueName, type TestNode } from "../support/test-node";
import { createPost } from "../support/media";
import { printed } from "../support/repl";

type Command = ReturnType<typeof replCommands>[number];

/** What a REPL command printed, line by line. */

describe("the operator's console", () => {
  let t: TestNode;
  let commands: Command[];
  const command = (name: string): Command => {
    const found = commands.find((c) => c.command.split(" ")[0] === name);
    if (!found) throw new Error(`no REPL command ${name}`);
    return found;
  };
  before(async () => {
    t = await startTestNode();
    commands = replCommands(() => t.node.app.callerProofs);
  });
  after(() => t.stop());

  it("acts as a user on purpose, and writes the audit row first and its outcome after", async () => {
    const ada = await signup(t.url);
    const post = await createPost(t.url, ada);
    const outcome = await actAs(t.node.broker, t.node.app.callerProofs, {
      user: ada.username,
      action: "posts.delete",
      params: { id: post.id },
      operator: "alice@console",
    });
    expect(outcome.error?.message).to.equal(undefined);
    expect((await api(t.url, "GET", `/api/posts/${post.id}`, { token: ada.token })).status).to.equal(404);

    const { rows } = await call(t.node.broker, "users.auditLog", { limit: 1000 });
    const mine = rows.filter((row) => row.id === outcome.audit.id);
    expect(mine).to.have.length(1);
    expect(mine[0]).to.include({
      operator: "alice@console",
      command: "act-as",
      targetUser: `${ada.username} (${ada.user.id})`,
      action: "posts.delete",
      params: JSON.stringify({ id: post.id }),
      outcome: "ok",
    });
  });

  it("records a refused act-as with its error", async () => {
    const ada = await signup(t.url);
    const bob = await signup(t.url);
    const post = await createPost(t.url, ada);
    const outcome = await actAs(t.node.broker, t.node.app.callerProofs, {
      user: bob.username,
      action: "posts.delete",
      params: { id: post.id },
      operator: "alice@console",
    });
    expect(outcome.error).to.be.instanceOf(Error);
    expect(outcome.audit.outcome).to.match(/^error: /);
    expect((await api(t.url, "GET", `/api/posts/${post.id}`, { token: ada.token })).status).to.equal(200);
  });

  it("the act-as and audit commands print what was done", async () => {
    const ada = await signup(t.url);
    const acted = await printed(command("act-as"), t.node.broker, {
      user: ada.username,
      action: "users.me",
      params: "{}",
      options: {},
    });
    expect(acted[0]).to.match(new RegExp(`^ok \\(as ${ada.username} \\(${ada.user.id}\\), audit \\d+\\)$`));
    expect(acted.join("\n")).to.include(`"username": "${ada.username}"`);
    const audit = await printed(command("audit"), t.node.broker, { options: { limit: "5" } });
    expect(audit.some((line) => line.includes(`act-as ${ada.username} (${ada.user.id}) users.me`))).to.equal(
      true,
    );
    const badDay = await printed(command("audit"), t.node.broker, { options: { day: "2026-13-01" } });
    expect(badDay).to.deep.equal(["--day 2026-13-01: not YYYY-MM-DD"]);
  });

  it("answers an unknown user in one line, from every command that takes a user", async () => {
    const nobody = uniqueName("nobody");
    await actAs(t.node.broker, t.node.app.callerProofs, {
      user: nobody,
      action: "users.me",
      params: {},
      operator: "alice@console",
    }).then(
      () => expect.fail("acted as a user who does not exist"),
      (err: unknown) => expect(err).to.be.instanceOf(UnknownUserError),
    );
    for (const name of ["timeline-owner", "inbox-owner"]) {
      expect(await printed(command(name), t.node.broker, { user: nobody, options: {} }), name).to.deep.equal([
        `no user "${nobody}"`,
      ]);
    }
    const acted = await printed(command("act-as"), t.node.broker, {
      user: nobody,
      action: "users.me",
      options: {},
    });
    expect(acted).to.deep.equal([`no user "${nobody}"`]);
  });

  it("act-as without the token key says so in one line", async () => {
    const keyless = replCommands(() => undefined).find((c) => c.command.startsWith("act-as"));
    const lines = await printed(keyless!, t.node.broker, { user: "ada", action: "users.me", options: {} });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include("JWT_SECRET");
  });
});
