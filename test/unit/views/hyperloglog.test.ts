import { expect } from "chai";
import { HyperLogLog } from "../../../lib/views";

describe("HyperLogLog", () => {
  it("counts a small set all but exactly, and a value seen twice once", () => {
    const hll = new HyperLogLog();
    for (let i = 0; i < 50; i++) hll.add(`viewer-${i}`);
    expect(hll.add("viewer-7"), "a value already there changes nothing").to.equal(false);
    expect(hll.estimate()).to.be.within(49, 51);
    expect(new HyperLogLog().estimate()).to.equal(0);
  });

  it("estimates a large set within 5%", () => {
    const hll = new HyperLogLog();
    for (let i = 0; i < 100_000; i++) hll.add(String(1_000_000 + i));
    expect(Math.abs(hll.estimate() - 100_000) / 100_000).to.be.below(0.05);
  });

  it("merges into the union of two sketches, overlap counted once, and survives its text", () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    for (let i = 0; i < 3_000; i++) a.add(`u${i}`);
    for (let i = 2_000; i < 5_000; i++) b.add(`u${i}`);
    const union = HyperLogLog.fromText(a.toText());
    union.merge(HyperLogLog.fromText(b.toText()));
    expect(Math.abs(union.estimate() - 5_000) / 5_000).to.be.below(0.05);
    expect(() => HyperLogLog.fromText("AAAA")).to.throw(/registers/);
  });
});
