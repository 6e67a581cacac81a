import { expect } from "chai";
import { GroupCommit } from "../../../lib/store/level-group-commit";
import type { Db, DbOp } from "../../../lib/store/level-rows";

function fakeDb(fail = false) {
  const batches: DbOp[][] = [];
  const db = {
    batch: (ops: DbOp[]) => {
      batches.push(ops);
      return fail ? Promise.reject(new Error("disk full")) : Promise.resolve();
    },
  } as unknown as Db;
  return { db, batches };
}

const put = (k: string): DbOp => ({ type: "put", key: Buffer.from(k), value: Buffer.from("v") });

describe("GroupCommit", () => {
  it("writes the commits of one turn as one batch, in the order they came", async () => {
    const { db, batches } = fakeDb();
    const commits = new GroupCommit(db);
    await Promise.all([commits.write([put("a"), put("b")]), commits.write([put("c")]), commits.write([])]);
    expect(batches.map((b) => b.map((op) => op.key.toString()))).to.deep.equal([["a", "b", "c"]]);
    await commits.write([put("d")]);
    expect(batches).to.have.length(2);
  });

  it("fails every commit of a batch that fails, and the next turn starts afresh", async () => {
    const failing = fakeDb(true);
    const commits = new GroupCommit(failing.db);
    const results = await Promise.allSettled([commits.write([put("a")]), commits.write([put("b")])]);
    expect(results.map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);
    expect(failing.batches).to.have.length(1);
  });

  it("writes a group at once when it grows past its bound", async () => {
    const { db, batches } = fakeDb();
    const commits = new GroupCommit(db);
    const big = Array.from({ length: 20_000 }, (_, i) => put(String(i)));
    const first = commits.write(big);
    expect(batches).to.have.length(1);
    const second = commits.write([put("after")]);
    await Promise.all([first, second]);
    expect(batches).to.have.length(2);
  });
});
