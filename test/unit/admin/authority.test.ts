import { expect } from "chai";
import { authorityOf, describeAuthority, NotAdminError, NotModeratorError } from "../../../lib/admin";
import { UnauthorizedError } from "../../../lib/errors";
import type { Role } from "../../../lib/accounts";
import { parseDuration } from "../../../broker/admin-commands";

describe("admin authority", () => {
  const accounts = new Map([
    ["1", { role: "admin" as const, username: "root" }],
    ["2", { role: "moderator" as const, username: "mod" }],
    ["3", { role: undefined, username: "ada" }],
  ]);
  const account = (id: string) => Promise.resolve(accounts.get(id));

  it("takes a proven operator as the console, and an account only with the admin role", async () => {
    expect(await authorityOf({ operator: { name: "alice@c1" } }, account)).to.deep.equal({
      kind: "console",
      operator: "alice@c1",
    });
    expect(await authorityOf({ user: { userId: "1" } }, account)).to.deep.equal({
      kind: "admin",
      userId: "1",
      username: "root",
    });
    for (const userId of ["2", "3", "404"]) {
      await authorityOf({ user: { userId } }, account).then(
        () => expect.fail(`user ${userId} was let in`),
        (err: unknown) => expect(err).to.be.instanceOf(NotAdminError),
      );
    }
    await authorityOf({}, account).then(
      () => expect.fail("nobody was let in"),
      (err: unknown) => expect(err).to.be.instanceOf(UnauthorizedError),
    );
  });

  it("lets a moderator in where moderators are allowed, and still no plain account", async () => {
    const moderation = ["admin", "moderator"] as const;
    expect(await authorityOf({ user: { userId: "2" } }, account, moderation)).to.deep.equal({
      kind: "moderator",
      userId: "2",
      username: "mod",
    });
    expect((await authorityOf({ user: { userId: "1" } }, account, moderation)).kind).to.equal("admin");
    for (const userId of ["3", "404"]) {
      await authorityOf({ user: { userId } }, account, moderation).then(
        () => expect.fail(`user ${userId} was let in`),
        (err: unknown) => expect(err).to.be.instanceOf(NotModeratorError),
      );
    }
  });

  it("reads the role at every call: a role taken away holds at once", async () => {
    const roles = new Map<string, { role: Role | undefined; username: string }>([
      ["1", { role: "admin", username: "root" }],
    ]);
    const read = (id: string) => Promise.resolve(roles.get(id));
    await authorityOf({ user: { userId: "1" } }, read);
    roles.set("1", { role: undefined, username: "root" });
    await authorityOf({ user: { userId: "1" } }, read).then(
      () => expect.fail("a former admin was let in"),
      (err: unknown) => expect(err).to.be.instanceOf(NotAdminError),
    );
  });

  it("names who acted for the audit log", () => {
    expect(describeAuthority({ kind: "console", operator: "alice@c1" })).to.equal("console alice@c1");
    expect(describeAuthority({ kind: "admin", userId: "1", username: "root" })).to.equal("admin root (1)");
    expect(describeAuthority({ kind: "moderator", userId: "2", username: "mod" })).to.equal(
      "moderator mod (2)",
    );
  });

  it("reads the console's durations, and refuses anything else in one line", () => {
    expect(parseDuration("30m")).to.equal(1_800_000);
    expect(parseDuration("12h")).to.equal(43_200_000);
    expect(parseDuration("7d")).to.equal(604_800_000);
    for (const bad of ["", "7", "1w", "-1d", "1.5h"]) {
      expect(() => parseDuration(bad), bad).to.throw(/a duration such as 30m, 12h or 7d/);
    }
  });
});
