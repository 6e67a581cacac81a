import { expect } from "chai";
import { whenAll } from "../../../lib/concurrency/when-all";

describe("whenAll", () => {
  it("gives known values at once, in order, with no promise", () => {
    const values = whenAll([1, 2, 3]);
    expect(values).to.not.be.instanceOf(Promise);
    expect(values).to.deep.equal([1, 2, 3]);
  });

  it("waits for the promises among them, keeping the order", async () => {
    const late = new Promise<number>((resolve) => setTimeout(() => resolve(1), 5));
    const values = whenAll([late, 2, Promise.resolve(3)]);
    expect(values).to.be.instanceOf(Promise);
    expect(await values).to.deep.equal([1, 2, 3]);
  });

  it("rejects as soon as one of them does", async () => {
    const outcome = await Promise.resolve(whenAll([1, Promise.reject(new Error("store down"))])).then(
      () => "settled",
      (err: unknown) => (err as Error).message,
    );
    expect(outcome).to.equal("store down");
  });
});
