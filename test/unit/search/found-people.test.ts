import { expect } from "chai";
import type { PublicProfile } from "../../../lib/accounts";
import { FoundPeople } from "../../../lib/search/found-people";
import { plainUserView } from "../../support/user-views";

function profile(id: string, followers: number): PublicProfile {
  return { view: plainUserView(id, followers), held: false };
}

describe("FoundPeople", () => {
  let clock: number;
  let loads: string[];
  let followers: number;
  let failing: boolean;
  const people = () =>
    new FoundPeople(
      (userId) => {
        loads.push(userId);
        return failing
          ? Promise.reject(new Error("store down"))
          : Promise.resolve(profile(userId, followers));
      },
      { now: () => clock, ttlMs: 3_000 },
    );

  beforeEach(() => {
    clock = 1_000_000;
    loads = [];
    followers = 1;
    failing = false;
  });

  it("shares one load among callers for its time to live, then loads again", async () => {
    const found = people();
    const [a, b] = await Promise.all([found.of("1"), found.of("1")]);
    expect(a).to.equal(b);
    followers = 2;
    clock += 3_000;
    expect((await found.of("1"))?.view.counts.followers, "still within 3 s").to.equal(1);
    clock += 1;
    expect((await found.of("1"))?.view.counts.followers).to.equal(2);
    expect(loads).to.deep.equal(["1", "1"]);
  });

  it("loads a forgotten person again at once", async () => {
    const found = people();
    await found.of("1");
    found.forget("1");
    await found.of("1");
    expect(loads).to.deep.equal(["1", "1"]);
  });

  it("keeps no failed load", async () => {
    const found = people();
    failing = true;
    const failed = await found.of("1").then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).to.be.instanceOf(Error);
    failing = false;
    expect(await found.of("1")).to.deep.include({ held: false });
    expect(loads).to.deep.equal(["1", "1"]);
  });
});
