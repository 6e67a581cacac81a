import { expect } from "chai";
import { CallerProofs, deriveCallerKey } from "../../../lib/accounts";

describe("CallerProofs", () => {
  let ms = 1_700_000_000_000;
  const now = () => ms;
  const proofs = new CallerProofs(deriveCallerKey("k".repeat(48)), now, 60_000);
  const ada = { userId: "101", sessionId: "201" };

  it("accepts the proof made for this caller and this request", () => {
    const proof = proofs.sign(ada, "req-1");
    expect(proofs.check({ ...ada, proof }, "req-1")).to.equal("valid");
  });

  it("refuses a caller with no proof, or one that is not a proof", () => {
    expect(proofs.check(ada, "req-1")).to.equal("missing");
    expect(proofs.check({ ...ada, proof: "yes" }, "req-1")).to.equal("malformed");
    expect(proofs.check({ ...ada, proof: "v1.x.y" }, "req-1")).to.equal("malformed");
  });

  it("refuses a proof replayed with another request", () => {
    const proof = proofs.sign(ada, "req-1");
    expect(proofs.check({ ...ada, proof }, "req-2")).to.equal("forged");
    expect(proofs.check({ ...ada, proof }, undefined)).to.equal("forged");
  });

  it("refuses a proof whose caller, session, expiry or signature was changed", () => {
    const proof = proofs.sign(ada, "req-1");
    const [version, expiry, mac] = proof.split(".");
    expect(proofs.check({ ...ada, userId: "102", proof }, "req-1")).to.equal("forged");
    expect(proofs.check({ ...ada, sessionId: "202", proof }, "req-1")).to.equal("forged");
    expect(proofs.check({ ...ada, proof: `${version}.${Number(expiry) + 1}.${mac}` }, "req-1")).to.equal(
      "forged",
    );
    const flipped = `${mac!.slice(0, -1)}${mac!.endsWith("A") ? "B" : "A"}`;
    expect(proofs.check({ ...ada, proof: `${version}.${expiry}.${flipped}` }, "req-1")).to.equal("forged");
  });

  it("does not read fields run together as another caller's", () => {
    // "1" + "01" and "10" + "1" concatenate alike; the proof must tell them apart.
    const proof = proofs.sign({ userId: "1", sessionId: "01" }, "r");
    expect(proofs.check({ userId: "10", sessionId: "1", proof }, "r")).to.equal("forged");
  });

  it("accepts by its signature a proof another node signed with the same key, for that request only", () => {
    const signer = new CallerProofs(deriveCallerKey("k".repeat(48)), now, 60_000);
    const proof = signer.sign(ada, "req-9");
    expect(proofs.check({ ...ada, proof }, "req-9")).to.equal("valid");
    expect(proofs.check({ ...ada, proof }, "req-8")).to.equal("forged");
  });

  it("refuses a proof made with another key", () => {
    const other = new CallerProofs(deriveCallerKey("o".repeat(48)), now, 60_000);
    expect(proofs.check({ ...ada, proof: other.sign(ada, "req-1") }, "req-1")).to.equal("forged");
  });

  it("refuses a proof once it has expired", () => {
    const proof = proofs.sign(ada, "req-1");
    ms += 59_000;
    expect(proofs.check({ ...ada, proof }, "req-1")).to.equal("valid");
    ms += 1_000;
    expect(proofs.check({ ...ada, proof }, "req-1")).to.equal("expired");
  });

  it("derives a key of its own from the token key", () => {
    expect(deriveCallerKey("k".repeat(48)).equals(Buffer.from("k".repeat(48)))).to.equal(false);
    expect(deriveCallerKey("k".repeat(48)).equals(deriveCallerKey("k".repeat(48)))).to.equal(true);
  });

  it("proves an operator for one request, and no operator's proof passes for a user's nor the reverse", () => {
    const operator = { name: "alice@console-1" };
    const proof = proofs.signOperator(operator.name, "req-1");
    expect(proofs.checkOperator({ ...operator, proof }, "req-1")).to.equal("valid");
    expect(proofs.checkOperator({ ...operator, proof }, "req-2")).to.equal("forged");
    expect(proofs.checkOperator({ name: "mallory@console-1", proof }, "req-1")).to.equal("forged");
    expect(proofs.checkOperator(operator, "req-1")).to.equal("missing");
    // The operator's name in a caller's fields, and a caller's proof offered as an operator's.
    expect(proofs.check({ userId: "operator", sessionId: operator.name, proof }, "req-1")).to.equal("forged");
    const userProof = proofs.sign(ada, "req-1");
    expect(proofs.checkOperator({ name: ada.userId, proof: userProof }, "req-1")).to.equal("forged");
  });
});
