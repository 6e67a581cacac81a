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
  describe("a caller vouched for in this process", () => {
    it("passes for its own request without a proof, and for no other request", () => {
      const vouched = proofs.vouch(ada, "req-v1");
      expect(vouched).to.deep.equal(ada);
      expect(proofs.check(vouched, "req-v1")).to.equal("valid");
      expect(proofs.check(vouched, "req-v2")).to.equal("forged");
      expect(proofs.check(vouched, undefined)).to.equal("forged");
    });

    it("is the object itself: a copy, as the transporter would deliver it, proves nothing", () => {
      const vouched = proofs.vouch(ada, "req-v3");
      expect(proofs.check({ ...vouched }, "req-v3")).to.equal("missing");
      expect(proofs.check(JSON.parse(JSON.stringify(vouched)) as typeof ada, "req-v3")).to.equal("missing");
      // Nor does another node's CallerProofs take it, even with the same key.
      const other = new CallerProofs(deriveCallerKey("k".repeat(48)), now, 60_000);
      expect(other.check(vouched, "req-v3")).to.equal("missing");
    });

    it("cannot be turned into another caller", () => {
      const vouched = proofs.vouch(ada, "req-v4");
      expect(() => {
        (vouched as { userId: string }).userId = "102";
      }).to.throw(TypeError);
      expect(proofs.check(vouched, "req-v4")).to.equal("valid");
      expect(vouched.userId).to.equal("101");
    });

    it("leaves the node with a proof that another node checks by its signature, signed once", () => {
      const vouched = proofs.vouch(ada, "req-v5");
      const carried = proofs.forTransit(vouched, "req-v5");
      expect(carried).to.not.equal(vouched);
      expect(carried.proof).to.be.a("string");
      expect(proofs.forTransit(vouched, "req-v5")).to.equal(carried);
      const other = new CallerProofs(deriveCallerKey("k".repeat(48)), now, 60_000);
      const delivered = JSON.parse(JSON.stringify(carried)) as typeof carried;
      expect(other.check(delivered, "req-v5")).to.equal("valid");
      expect(other.check(delivered, "req-v6")).to.equal("forged");
    });

    it("is not signed for a call under another request, and expires as a proof does", () => {
      const vouched = proofs.vouch(ada, "req-v7");
      expect(proofs.forTransit(vouched, "req-v8")).to.equal(vouched);
      expect(proofs.forTransit(ada, "req-v7")).to.equal(ada);
      ms += 60_001;
      expect(proofs.check(vouched, "req-v7")).to.equal("expired");
      expect(proofs.forTransit(vouched, "req-v7")).to.equal(vouched);
    });
  });
});
