import { expect } from "chai";
import { KeptLoads } from "../../../lib/concurrency/kept-loads";
import { rejectionOf } from "../../support/rejections";

describe("KeptLoads", () => {
  let clock = 0;
  let loads = 0;
  const loader = (value: string) => () => {
    loads++;
    return Promise.resolve(value);
  };
  beforeEach(() => {
    clock = 1_000;
    loads = 0;
  });

  it("shares one load among the callers of its time to live, then loads again with nothing derived kept", async () => {
    const kept = new KeptLoads<string, { derived: string }>({ ttlMs: 100, max: 10, now: () => clock });
    const first = kept.of("ada", loader("v1"));
    expect(kept.of("ada", loader("other"))).to.equal(first);
    expect(await first.value).to.equal("v1");
    expect(first.loaded).to.deep.equal({ value: "v1" });
    first.memo = { derived: "from v1" };
    clock += 100;
    expect(kept.of("ada", loader("other"))).to.equal(first);
    clock += 1;
    const second = kept.of("ada", loader("v2"));
    expect(second).to.not.equal(first);
    expect(second.memo).to.equal(undefined);
    expect(await second.value).to.equal("v2");
    expect(loads).to.equal(2);
  });

  it("keeps no failed load: the caller after a failure loads again", async () => {
    const kept = new KeptLoads<string>({ ttlMs: 100, max: 10, now: () => clock });
    const failed = kept.of("ada", () => Promise.reject(new Error("store down")));
    expect(kept.of("ada", loader("unused")).value).to.equal(failed.value);
    expect(await rejectionOf(failed.value)).to.be.instanceOf(Error);
    expect(failed.loaded).to.equal(undefined);
    expect(await kept.of("ada", loader("v1")).value).to.equal("v1");
    expect(loads).to.equal(1);
  });

  it("loads a forgotten key again at once, and keeps at most `max` keys", async () => {
    const kept = new KeptLoads<string>({ ttlMs: 100, max: 2, now: () => clock });
    await kept.of("ada", loader("v1")).value;
    kept.forget("ada");
    expect(await kept.of("ada", loader("v2")).value).to.equal("v2");
    await kept.of("bob", loader("b")).value;
    await kept.of("cy", loader("c")).value;
    expect(loads).to.equal(4);
    await kept.of("ada", loader("v3")).value;
    expect(loads).to.equal(5);
  });
});
